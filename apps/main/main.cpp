// The drover binary: parses the command line and hands over to one command.

#include <cstdio>

#include <CLI/CLI.hpp>

#include "apps/commands.hpp"

namespace {

using drover::runtime::config_inputs;

/// Adds the node configuration flags to `command`; given flags land in `inputs.flags`.
void add_config_flags(CLI::App& command, config_inputs& inputs, std::string& config_file) {
  command.add_option("--config", config_file, "YAML configuration file (or DROVER_CONFIG)");
  for (const auto& key : drover::runtime::config_keys()) {
    auto* option = command.add_option_function<std::string>(
      drover::runtime::flag_name(key), [&inputs, key](const std::string& value) { inputs.flags[key] = value; },
      "overrides config key " + key + " (env " + drover::runtime::env_name(key) + ")");
    option->type_name("VALUE");
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"drover: background coding agents on an actor cluster"};
  app.require_subcommand(1);
  config_inputs inputs;
  std::string config_file;

  auto* up = app.add_subcommand("up", "start a node in the foreground");
  add_config_flags(*up, inputs, config_file);
  auto* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* config_show = config->add_subcommand("show", "print the effective configuration");
  add_config_flags(*config_show, inputs, config_file);
  auto* version = app.add_subcommand("version", "print the versions of drover and its libraries");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return drover::apps::exit_usage;
  }

  if (config_file.empty())
    if (auto from_env = drover::runtime::process_env("DROVER_CONFIG"))
      config_file = *from_env;
  if (!config_file.empty())
    inputs.file = config_file;
  inputs.env = drover::runtime::process_env;

  if (up->parsed())
    return drover::apps::run_up(inputs);
  if (config_show->parsed())
    return drover::apps::run_config_show(inputs);
  if (version->parsed())
    return drover::apps::run_version();
  return drover::apps::exit_usage;
}
