#include <algorithm>
#include <cstdio>

#include "apps/commands.hpp"
#include "apps/versions.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

int run_config_show(const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config) {
    std::fprintf(stderr, "drover config show: %s\n", runtime::describe(config.error()).c_str());
    return exit_usage;
  }
  int key_width = 0; // the longest key, so that the values line up
  for (const auto& key : runtime::config_keys())
    key_width = std::max(key_width, static_cast<int>(key.size()));
  for (const auto& key : runtime::config_keys())
    std::printf("%-*s %-40s # %s\n", key_width, key.c_str(), runtime::value_of(config->values, key).c_str(),
                config->origin.at(key).c_str());
  return exit_ok;
}

int run_version() {
  for (const auto& [library, version] : library_versions())
    std::printf("%-15s %s\n", library.c_str(), version.c_str());
  return exit_ok;
}

} // namespace drover::apps
