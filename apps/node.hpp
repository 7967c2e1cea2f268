#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <zmq.hpp>

#include "apps/http_api.hpp"
#include "apps/http_server.hpp"
#include "apps/node_file.hpp"
#include "cluster/zmq_endpoint.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/node_config.hpp"
#include "runtime/checkpoint_writer.hpp"
#include "runtime/node_identity.hpp"
#include "runtime/process_runner.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_catalog.hpp"

namespace drover::apps {

/// One running node: the store, the actor system, the ZeroMQ endpoint, the metrics exposer and
/// the HTTP API, wired together. Not thread-safe: start and stop from one thread.
class node {
public:
  /// Opens (or creates) the data directory and store, starts the actor system and binds every
  /// endpoint. A failure names what could not be done (a port in use, an unwritable data
  /// directory, a store locked by another node) and leaves nothing running.
  static caf::expected<std::unique_ptr<node>> start(const runtime::node_config& config);

  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Returns what the node published in DATA_DIR/node.json.
  const node_file& published() const { return published_; }

  /// Returns how many times a node has booted on this data directory.
  uint64_t boot_count() const { return identity_.boot_count; }

  /// Returns the HTTP API's base URL, http://HOST:PORT.
  std::string http_url() const { return "http://" + published_.http; }

  /// Stops serving, stops the actors, flushes the store and removes node.json; idempotent.
  caf::error stop();

private:
  node() = default;
  caf::error open_store(const runtime::node_config& config);
  caf::error load_catalog(const runtime::node_config& config);
  void start_actors(const runtime::node_config& config);
  void start_jobs(const runtime::node_config& config);
  void register_job_metrics();
  caf::error start_transport(const runtime::node_config& config);
  void start_membership(const runtime::node_config& config);
  /// Starts the tool catalog front, attached to the membership and reachable as "catalog".
  void start_catalog(const runtime::node_config& config);
  caf::error start_servers(const runtime::node_config& config);
  /// Stops the job manager, then waits until the catalog has recorded every tool outcome sent
  /// so far (an invoker still finishing a run after that may lose its last outcome).
  void stop_jobs_then_flush_catalog();

  // Declared in construction order; destroyed in reverse.
  std::shared_ptr<observability::prometheus_metrics> metrics_;
  std::unique_ptr<runtime::store> store_;
  runtime::node_identity identity_;
  runtime::tool_catalog catalog_;
  std::unique_ptr<caf::actor_system_config> actor_config_;
  std::unique_ptr<caf::actor_system> actors_;
  // After the actor system: their callbacks message actors, so they go first.
  std::unique_ptr<runtime::process_runner> runner_;
  std::unique_ptr<runtime::checkpoint_writer> writer_;
  caf::actor catalog_actor_;
  std::string drover_binary_; ///< what argv[0] "drover" of Drover's own tools runs
  std::unique_ptr<zmq::context_t> zmq_context_;
  std::unique_ptr<cluster::zmq_endpoint> endpoint_;
  caf::actor node_actor_;
  caf::actor dispatcher_;
  caf::actor membership_;
  caf::actor jobs_;
  std::atomic<uint32_t> items_in_flight_{0}; ///< work items this node's invokers hold
  std::unique_ptr<http_server> metrics_server_; ///< GET /metrics, Prometheus text format
  std::unique_ptr<http_api> http_;
  node_file published_;
  bool wrote_node_file_ = false; ///< only then is node.json ours to remove
  bool stopped_ = false;
};

} // namespace drover::apps
