#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_messages.hpp"
#include "actors/catalog_placement.hpp"
#include "observability/metrics.hpp"
#include "runtime/process_runner.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_catalog.hpp"
#include "runtime/tool_search.hpp"

namespace drover::actors {

/// What the catalog needs; all borrowed from the node, which outlives the actor.
struct catalog_setup {
  runtime::store* db = nullptr;
  runtime::tool_catalog* registry = nullptr; ///< every manifest of the node, by id
  runtime::process_runner* runner = nullptr; ///< runs probes
  observability::metrics* metrics = nullptr;
  std::string drover_binary; ///< what a probe's "drover" runs
  size_t shards = 4;
  runtime::ranking_params params;
  bool probe_at_start = true; ///< probe the tools without a stored probe result in the background
  std::string node_id;        ///< this node: the origin of its invokers' statistics parts
  caf::actor cluster;         ///< the membership (runtime/cluster_messages.hpp); none: every shard is here
};

/// A `drover tools probe` waiting for its answer.
struct probe_round {
  probe_report report;
  size_t expected = 0;
  caf::response_promise promise;
};

struct catalog_state {
  catalog_setup setup;
  shard_placement placement;
  /// Every manifest this node knows, by id: shared with the hits made of it.
  std::map<std::string, std::shared_ptr<const runtime::tool_manifest>> manifests;
  std::map<uint64_t, probe_round> probes; ///< by round; round 0 (background probes) waits for nobody
  uint64_t last_probe_round = 0;
  std::deque<std::pair<uint64_t, runtime::tool_manifest>> probe_queue; ///< (round, tool) not started yet
  size_t probes_running = 0;
  observability::counter* queries = nullptr;
  observability::counter* hits = nullptr;
  observability::histogram* query_seconds = nullptr;
  static inline const char* name = "drover.catalog";
};

/// Returns the shard of `shards` shards that owns tool `id` (a stable hash of the id).
size_t shard_of(const std::string& id, size_t shards);

/// The node's tool catalog front. The catalog is partitioned into setup.shards shards by
/// shard_of(); with a cluster, each shard lives on one member (see shard_placement for where,
/// and for the rule that keeps outcome statistics alive across members' deaths), and the
/// fronts of all members talk to each other (registered as "catalog"). A search gathers the
/// corpus statistics of the query terms from every shard, then asks each shard for its top
/// hits scored against the whole catalog's statistics, merges them and fetches the hits of
/// the best from their shards: the ranking depends neither on the sharding nor on the
/// placement. A shard whose owner does not answer in time is left out and named in the reply.
/// Tools without a stored probe result are probed in the background at start (unless
/// setup.probe_at_start is off). Messages:
/// - search_atom, search_request -> search_reply
/// - outcome_atom, tool_outcome: persisted as this node's part, then sent to the shard's owner
/// - shard_corpus_request, shard_rank_request, shard_hits_request (from other fronts) -> their
///   replies; shard_stats_request -> shard_stats_reply; shard_outcome (one-way)
/// - runtime::member_info: a membership change (subscribed at start)
/// - put_tool_atom, source, yaml -> std::string (the id): validates the manifest (an error
///   names the field), adds it to the registry, stores it durably, gives it to its shard
/// - probe_atom, ids -> probe_report: probes those tools (every tool when empty) now and
///   stores the results; runtime_errc::not_found for an unknown id
/// - show_atom, id -> search_hit (runtime_errc::not_found for an unknown id)
/// - tools_atom -> std::vector<search_hit>: every tool, ordered by id
/// - flush_atom -> true once every outcome sent before it is recorded (the node asks before it
///   stops, so that no reported outcome is lost)
/// Spawn detached: it reads and writes the store. Metrics: drover_catalog_shards_owned,
/// drover_catalog_rehomings_total, drover_catalog_remote_shard_requests_total,
/// drover_catalog_remote_shard_timeouts_total.
caf::behavior catalog(caf::stateful_actor<catalog_state>* self, catalog_setup setup);

} // namespace drover::actors
