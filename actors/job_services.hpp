#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>

#include "observability/metrics.hpp"
#include "runtime/checkpoint_writer.hpp"
#include "runtime/process_runner.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_catalog.hpp"

namespace drover::actors {

/// The node-wide services job actors use. All borrowed: the node owns them and outlives every
/// job actor. Each service is thread-safe.
struct job_services {
  runtime::store* db = nullptr;
  runtime::checkpoint_writer* writer = nullptr;
  runtime::process_runner* runner = nullptr;
  runtime::tool_catalog* catalog = nullptr;
  observability::metrics* metrics = nullptr;
  /// The catalog actor: ranks the tools of capability jobs and receives every invocation's
  /// outcome. May be unset (tests of job actors alone): then capability jobs are refused.
  caf::actor catalog_actor;
  /// The node's membership (runtime/cluster_messages.hpp): who else can run a job's items.
  /// May be unset (tests of job actors alone): then jobs run on this node only.
  caf::actor cluster;
  std::string node_id;
  /// Work items this node's invokers hold now, for the members list (owned by the node).
  std::atomic<uint32_t>* items_in_flight = nullptr;
  std::string jobs_dir;      ///< DATA_DIR/jobs: one folder per job (worktree, report, patch)
  std::string mirrors_dir;   ///< DATA_DIR/mirrors: clones of repositories named by URL
  std::string drover_binary; ///< what argv[0] "drover" runs (Drover's own tools)
  unsigned invokers_per_job = 2;
};

} // namespace drover::actors
