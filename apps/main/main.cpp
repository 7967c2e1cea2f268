// The drover binary: parses the command line and hands over to one command (apps/commands.hpp).

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "apps/codemod.hpp"
#include "apps/commands.hpp"

namespace {

using drover::runtime::config_inputs;

/// Adds the node configuration flags to `command`; given flags land in `inputs.flags`.
void add_config_flags(CLI::App& command, config_inputs& inputs, std::string& config_file) {
  command.add_option("--config", config_file, "YAML configuration file (or DROVER_CONFIG)");
  for (const auto& key : drover::runtime::config_keys()) {
    auto* option = command
                     .add_option_function<std::string>(
                       drover::runtime::flag_name(key),
                       [&inputs, key](const std::string& value) { inputs.flags[key] = value; },
                       "overrides config key " + key + " (env " + drover::runtime::env_name(key) + ")")
                     ->type_name("VALUE");
    // A list key's flag may be repeated: `--join A --join B` reaches the key as "A,B".
    if (drover::runtime::is_list_key(key))
      option->delimiter(',')->multi_option_policy(CLI::MultiOptionPolicy::Join);
  }
}

void add_batch_flags(CLI::App& batch, drover::apps::batch_options& options, std::string& mode) {
  auto& spec = options.spec;
  batch.add_option("--repo", spec.repo, "the git repository to work on")->type_name("PATH");
  batch.add_option("--glob", spec.include, "files to process (repeatable; ** matches any depth)")
    ->type_name("PATTERN");
  batch.add_option("--exclude", spec.exclude, "files to leave alone (repeatable)")->type_name("PATTERN");
  batch.add_option("--tool", spec.tools, "tool id; repeat to give fallbacks in order")->type_name("ID");
  batch.add_option("--capability", spec.capability,
                   "instead of --tool: the best available tools with this capability (format, lint, ...)")
    ->type_name("CAP");
  batch.add_option("--lang", spec.language, "with --capability: the language (python, c++, ...)")
    ->type_name("LANG");
  batch.add_option("--mode", mode, "advise (report + patch), branch (commit on a new branch) or apply")
    ->check(CLI::IsMember({"advise", "branch", "apply"}));
  batch.add_option("--base", spec.base, "revision to work on (default HEAD)")->type_name("REV");
  batch.add_option("--branch", spec.branch, "branch mode: the branch to create (default drover/JOB)");
  batch.add_option("--batch-size", spec.batch_size, "files per work item (default: the tool's)")
    ->check(CLI::Range(1, 100000));
  batch.add_option("--node", options.node, "URL of a running node's HTTP API (or DROVER_NODE)");
  batch.add_option("--resume", options.resume, "wait for an existing job instead of a new one");
  batch.add_flag("--json", options.json, "print the report as JSON at the end");
  batch.footer("Arguments after -- are passed to the tool where its argv says {args}.");
}

void add_codemod_flags(CLI::App& codemod, drover::apps::codemod_options& options) {
  codemod.add_option("--literal", options.literal, "replace this exact text");
  codemod.add_option("--regex", options.regex, "replace matches of this ECMAScript regex");
  codemod.add_option("--to", options.to, "the replacement ($1, $& and $$ with --regex)");
  codemod.add_option("--log", options.log_file, "append one line per run (or DROVER_CODEMOD_LOG)");
  codemod.add_flag("--verbose", options.verbose, "print what changed in each file");
  codemod.add_option("files", options.files, "the files to rewrite");
}

} // namespace

int main(int argc, char** argv) {
  namespace apps = drover::apps;
  // Logs go to stderr: stdout carries what a command prints (summaries, JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("drover"));
  CLI::App app{"drover: background coding agents on an actor cluster"};
  app.require_subcommand(1);
  config_inputs inputs;
  std::string config_file;

  auto* up = app.add_subcommand("up", "start a node in the foreground");
  add_config_flags(*up, inputs, config_file);
  bool up_check = false;
  up->add_flag("--check", up_check,
               "check the configuration, data dir, keys and ports as a start would, print the effective "
               "configuration and exit: 0 if the node would start, 2 with the reason if not");

  apps::batch_options batch_options;
  std::string mode = "advise";
  auto* batch = app.add_subcommand("batch", "run a tool over the matching files of a repository");
  add_batch_flags(*batch, batch_options, mode);
  add_config_flags(*batch, inputs, config_file);

  auto* jobs = app.add_subcommand("jobs", "list, inspect and cancel jobs");
  jobs->require_subcommand(1);
  std::string node;
  std::string job_id;
  bool json = false;
  auto* jobs_ls = jobs->add_subcommand("ls", "list jobs, newest first");
  auto* jobs_show = jobs->add_subcommand("show", "show one job's report");
  auto* jobs_cancel = jobs->add_subcommand("cancel", "cancel a job");
  for (auto* command : {jobs_ls, jobs_show, jobs_cancel}) {
    command->add_option("--node", node, "URL of a running node's HTTP API (or DROVER_NODE)");
    add_config_flags(*command, inputs, config_file);
  }
  for (auto* command : {jobs_ls, jobs_show})
    command->add_flag("--json", json, "print JSON");
  for (auto* command : {jobs_show, jobs_cancel})
    command->add_option("id", job_id, "the job id")->required();

  auto* tools = app.add_subcommand("tools", "search, inspect, add and probe tools of the catalog");
  tools->require_subcommand(1);
  apps::tools_search_options search;
  std::string tool_id;
  std::string manifest_file;
  auto* tools_ls = tools->add_subcommand("ls", "list every tool with its availability");
  auto* tools_search = tools->add_subcommand("search", "rank tools for a question, e.g. \"format python\"");
  auto* tools_show = tools->add_subcommand("show", "show one tool, its statistics and availability");
  auto* tools_add = tools->add_subcommand("add", "add a tool manifest (YAML) to the catalog");
  auto* tools_probe = tools->add_subcommand("probe", "probe which tools this node can run, now");
  std::vector<std::string> probe_ids;
  tools_probe->add_option("ids", probe_ids, "only these tools (default: every tool)");
  for (auto* command : {tools_ls, tools_search, tools_show, tools_add, tools_probe}) {
    command->add_option("--node", node, "URL of a running node's HTTP API (or DROVER_NODE)");
    add_config_flags(*command, inputs, config_file);
  }
  for (auto* command : {tools_ls, tools_search, tools_show, tools_probe})
    command->add_flag("--json", json, "print JSON");
  tools_search->add_option("query", search.query, "what the tool should do")->required();
  tools_search->add_option("--lang", search.language, "only tools for this language or .extension");
  tools_search->add_option("--capability", search.capability, "only tools with this capability");
  tools_search->add_option("--side-effect", search.side_effect, "only read-only or writes-files tools")
    ->check(CLI::IsMember({"read-only", "writes-files"}));
  tools_search->add_flag("--available", search.available_only, "only tools this node can run");
  tools_search->add_option("--limit", search.limit, "hits to show (default 10)")->check(CLI::Range(1, 1000));
  tools_search->add_flag("--explain", search.explain, "show every factor of every score");
  tools_show->add_option("id", tool_id, "the tool id")->required();
  tools_add->add_option("file", manifest_file, "the manifest")->required();

  apps::codemod_options codemod_options;
  auto* codemod = app.add_subcommand("codemod", "Drover's own search/replace tool over files");
  add_codemod_flags(*codemod, codemod_options);

  auto* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* config_show = config->add_subcommand("show", "print the effective configuration");
  add_config_flags(*config_show, inputs, config_file);
  auto* version = app.add_subcommand("version", "print the versions of drover and its libraries");

  apps::demo_options demo_options;
  auto* demo =
    app.add_subcommand("demo", "run jobs on a generated sample repository and show the results");
  demo->add_option("--files", demo_options.files, "files in the sample repository (default 3000)")
    ->type_name("N");
  add_config_flags(*demo, inputs, config_file);

  auto* cluster = app.add_subcommand("cluster", "inspect the cluster a running node belongs to");
  cluster->require_subcommand(1);
  auto* cluster_members = cluster->add_subcommand(
    "members", "list the members: id, endpoint, state, last heard, work items in flight");
  cluster_members->add_option("--node", node, "URL of a running node's HTTP API (or DROVER_NODE)");
  cluster_members->add_flag("--json", json, "print JSON");
  add_config_flags(*cluster_members, inputs, config_file);

  auto* keys = app.add_subcommand("keys", "make the CurveZMQ keys that let nodes into a cluster");
  keys->require_subcommand(1);
  std::string keys_dir;
  std::string cluster_from;
  auto* keys_generate =
    keys->add_subcommand("generate", "write a new node key (and a cluster key) into a keys directory");
  keys_generate->add_option("--dir", keys_dir, "the keys directory (--keys-dir of drover up)")->required();
  keys_generate->add_option("--cluster-from", cluster_from,
                            "join the cluster whose cluster.key and authorized_keys are in this directory")
    ->type_name("DIR");

  // `drover batch ... -- ARGS`: ARGS are the tool's {args}, kept away from CLI11 entirely.
  const auto separator = std::find(argv, argv + argc, std::string{"--"});
  if (separator != argv + argc && std::find(argv, separator, std::string{"batch"}) != separator) {
    batch_options.spec.tool_args.assign(separator + 1, argv + argc);
    argc = static_cast<int>(separator - argv);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return apps::exit_usage;
  }

  if (config_file.empty())
    if (auto from_env = drover::runtime::process_env("DROVER_CONFIG"))
      config_file = *from_env;
  if (!config_file.empty())
    inputs.file = config_file;
  inputs.env = drover::runtime::process_env;

  if (up->parsed())
    return up_check ? apps::run_up_check(inputs) : apps::run_up(inputs);
  if (batch->parsed()) {
    const auto& spec = batch_options.spec;
    if (batch_options.resume.empty()
        && (spec.repo.empty() || spec.include.empty() || spec.tools.empty() == spec.capability.empty())) {
      std::fprintf(stderr, "drover batch: --repo, --glob and either --tool or --capability are required "
                           "(or --resume ID)\n");
      return apps::exit_usage;
    }
    drover::runtime::parse_job_mode(mode, batch_options.spec.mode);
    return apps::run_batch(batch_options, inputs);
  }
  if (jobs_ls->parsed())
    return apps::run_jobs_ls(node, json, inputs);
  if (jobs_show->parsed())
    return apps::run_jobs_show(node, job_id, json, inputs);
  if (jobs_cancel->parsed())
    return apps::run_jobs_cancel(node, job_id, inputs);
  if (tools_ls->parsed())
    return apps::run_tools_ls(node, json, inputs);
  if (tools_search->parsed()) {
    search.node = node;
    search.json = json;
    return apps::run_tools_search(search, inputs);
  }
  if (tools_show->parsed())
    return apps::run_tools_show(node, tool_id, json, inputs);
  if (tools_add->parsed())
    return apps::run_tools_add(node, manifest_file, inputs);
  if (tools_probe->parsed())
    return apps::run_tools_probe(node, probe_ids, json, inputs);
  if (codemod->parsed())
    return apps::run_codemod(codemod_options);
  if (config_show->parsed())
    return apps::run_config_show(inputs);
  if (version->parsed())
    return apps::run_version();
  if (cluster_members->parsed())
    return apps::run_cluster_members(node, json, inputs);
  if (keys_generate->parsed())
    return apps::run_keys_generate(keys_dir, cluster_from);
  if (demo->parsed())
    return apps::run_demo(demo_options, inputs);
  return apps::exit_usage;
}
