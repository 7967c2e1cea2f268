#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/job_model.hpp"
#include "runtime/node_config.hpp"

namespace drover::apps {

/// Exit statuses of the drover binary.
enum exit_status : int {
  exit_ok = 0,
  exit_failure = 1, ///< the command ran and failed
  exit_usage = 2,   ///< bad input or a node that cannot start (port in use, store locked, ...)
};

/// `drover up`: runs a node in the foreground until SIGINT or SIGTERM.
int run_up(const runtime::config_inputs& inputs);

/// `drover up --check`: resolves and checks the configuration as a start would, starts nothing;
/// exit_ok when the node would start, exit_usage with the reasons otherwise.
int run_up_check(const runtime::config_inputs& inputs);

/// What `drover batch` was asked for.
struct batch_options {
  runtime::job_spec spec;
  std::string node;   ///< --node URL of a running node
  std::string resume; ///< --resume ID: wait for an existing job instead of submitting one
  bool json = false;  ///< --json: print the report as JSON at the end
};

/// `drover batch`: runs a batch job on a running node, or on an embedded one, and waits for it.
int run_batch(const batch_options& options, const runtime::config_inputs& inputs);

/// `drover jobs ls|show|cancel`.
int run_jobs_ls(const std::string& node, bool json, const runtime::config_inputs& inputs);
int run_jobs_show(const std::string& node, const std::string& id, bool json,
                  const runtime::config_inputs& inputs);
int run_jobs_cancel(const std::string& node, const std::string& id,
                    const runtime::config_inputs& inputs);

/// What `drover tools search` was asked for.
struct tools_search_options {
  std::string query;
  std::string language;    ///< --lang: a language or ".ext"
  std::string capability;  ///< --capability
  std::string side_effect; ///< --side-effect read-only|writes-files
  bool available_only = false;
  size_t limit = 10;
  bool explain = false; ///< print every score factor
  bool json = false;
  std::string node;
};

/// `drover tools ls|search|show|add|probe`, against a running node or an embedded one.
int run_tools_ls(const std::string& node, bool json, const runtime::config_inputs& inputs);
int run_tools_search(const tools_search_options& options, const runtime::config_inputs& inputs);
int run_tools_show(const std::string& node, const std::string& id, bool json, const runtime::config_inputs& inputs);
int run_tools_add(const std::string& node, const std::string& file, const runtime::config_inputs& inputs);
int run_tools_probe(const std::string& node, const std::vector<std::string>& ids, bool json,
                    const runtime::config_inputs& inputs);

/// `drover cluster members`: prints every member a running node knows (id, endpoint, state,
/// when it was last heard from, work items in flight), this node first.
int run_cluster_members(const std::string& node, bool json, const runtime::config_inputs& inputs);

/// `drover config show`: prints the effective configuration and where each value came from.
int run_config_show(const runtime::config_inputs& inputs);

/// `drover version`: prints the versions of Drover and its libraries.
int run_version();

/// `drover keys generate --dir DIR [--cluster-from OTHER]`: writes this node's CURVE keys (see
/// cluster/curve_keys.hpp) and prints its public key and what to copy to the other machines.
int run_keys_generate(const std::string& dir, const std::string& cluster_from);

/// What `drover demo` was asked for.
struct demo_options {
  uint32_t files = 3000; ///< --files N: tracked files in the generated sample repository
};

/// `drover demo`: generates a sample repository under DATA_DIR/demo/repo (replacing an old one),
/// runs a deprecated-call migration on it in branch mode (and, when clang-format is installed, a
/// formatting check in advise mode) and prints where to look at the results. Returns exit_ok
/// only when every job succeeded.
int run_demo(const demo_options& options, const runtime::config_inputs& inputs);

} // namespace drover::apps
