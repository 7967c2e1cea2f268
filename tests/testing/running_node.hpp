#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/testing/drover_process.hpp"

namespace httplib {
class Client;
} // namespace httplib

namespace drover::testing {

/// Returns the sum of the metric lines served at http://`metrics_address`/metrics whose name
/// and labels start with `prefix` (`drover_leases_total{event="granted"}`), 0 when there is
/// none or nothing answers.
double metric_sum(const std::string& metrics_address, const std::string& prefix);

/// Where a node runs: the address of its endpoints and what starts it.
struct node_placement {
  std::string host = "127.0.0.1";    ///< listen, http and metrics bind HOST:0
  std::vector<std::string> launcher; ///< e.g. {"ip", "netns", "exec", NS}; empty: drover itself
};

/// A `drover up` child process on free ports (of loopback unless placed elsewhere) with a client
/// of its HTTP API. The process is killed when the object goes (see drover_process). Not
/// thread-safe.
class running_node {
public:
  /// Starts `drover up --data-dir DATA_DIR` with port 0 for every endpoint and `extra_args`, and
  /// waits up to 30 s for its node.json. Throws std::runtime_error with the node's stderr when
  /// it does not start.
  running_node(const std::string& data_dir, const std::string& log_prefix,
               const std::vector<std::string>& extra_args = {},
               const node_placement& placement = {});
  ~running_node();
  running_node(const running_node&) = delete;
  running_node& operator=(const running_node&) = delete;

  /// Returns the JSON body of GET `path`, or null when the node does not answer.
  nlohmann::json get(const std::string& path);

  /// Posts `request` to /v1/jobs and returns the new job's id; throws std::runtime_error with
  /// the answer when the job is not created.
  std::string submit(const nlohmann::json& request);

  /// Returns the node's HTTP address, HOST:PORT.
  const std::string& http() const { return http_; }

  /// Returns the node's ZeroMQ endpoint, tcp://HOST:PORT.
  const std::string& listen() const { return listen_; }

  /// Returns the sum of the node's metric lines whose name and labels start with `prefix`
  /// (`drover_leases_total{event="granted"}`), 0 when there is none or the node does not answer.
  double metric(const std::string& prefix);

  drover_process& process() { return process_; }

private:
  drover_process process_;
  std::string http_;
  std::string listen_;
  std::string metrics_;
  std::unique_ptr<httplib::Client> client_;
};

} // namespace drover::testing
