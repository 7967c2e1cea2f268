#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/testing/running_node.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {

/// Polls `done` every 50 ms until it returns true or `timeout` passes; returns its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

/// Runs `drover keys generate --dir DIR [--cluster-from FROM]` and returns the new node's public
/// key; throws std::runtime_error with the command's output when it fails.
std::string generate_keys(const std::string& dir, const std::string& cluster_from = "");

/// Makes the keys of one cluster whose members are `dirs`: the first makes the cluster key, the
/// others copy it, and every directory ends with the one allow-list naming them all. Returns
/// their public keys in order.
std::vector<std::string> make_cluster_keys(const std::vector<std::string>& dirs);

/// Several `drover up` nodes (on loopback unless placed elsewhere) in one test directory, each with
/// its own data directory DIR/NAME, sharing DIR/tools as tools_dir. Killed with the harness. Not
/// thread-safe.
class cluster_harness {
public:
  explicit cluster_harness(const temp_dir& dir) : dir_(dir) {}

  /// Starts node `name` with `extra_args`, joining the first node started when `join` is set,
  /// where `placement` says (loopback by default).
  running_node& start(const std::string& name, std::vector<std::string> extra_args = {},
                      bool join = true, const node_placement& placement = {});

  /// Returns the node `name` (started before).
  running_node& node(const std::string& name);

  /// Kills node `name` with SIGKILL and waits for it to be gone.
  void kill(const std::string& name);

  /// Returns the members node `name` sees in `state` ("alive", "dead", ...).
  std::vector<nlohmann::json> members_in(const std::string& name, const std::string& state);

  /// Waits until node `name` sees `count` members in `state`; false after `timeout`.
  bool wait_members(const std::string& name, size_t count, const std::string& state,
                    std::chrono::milliseconds timeout = std::chrono::seconds{20});

  /// Waits until job `id` on node `name` is final and returns its report.
  nlohmann::json wait_job(const std::string& name, const std::string& id,
                          std::chrono::milliseconds timeout = std::chrono::seconds{120});

  /// Returns node `name`'s node id.
  std::string node_id(const std::string& name);

private:
  const temp_dir& dir_;
  std::vector<std::pair<std::string, std::unique_ptr<running_node>>> nodes_;
  std::string seed_; ///< the first node's endpoint
};

} // namespace drover::testing
