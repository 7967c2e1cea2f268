#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_messages.hpp"
#include "observability/metrics.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_search.hpp"

namespace drover::actors {

struct catalog_shard_state {
  runtime::store* db = nullptr;
  observability::counter* outcome_updates = nullptr;
  runtime::tool_index index;
  static inline const char* name = "drover.catalog-shard";
};

/// A partition of the tool catalog (see runtime::tool_index): answers relevance queries over
/// its tools and keeps their outcome statistics, persisted in the store's tool_stats column
/// so that they survive a restart. Messages:
/// - put_tool_atom, tool_manifest: holds the tool, with its stored statistics and availability
/// - corpus_atom, terms -> corpus_stats
/// - search_atom, search_request, terms, corpus_stats, now_ms -> std::vector<search_hit>
/// - outcome_atom, tool_outcome: records and persists it (a tool not held here is ignored)
/// - availability_atom, id, tool_availability
/// - show_atom, id, now_ms -> std::vector<search_hit> (empty when the tool is not here)
/// - tools_atom, now_ms -> std::vector<search_hit>, every tool here, with factors
/// - flush_atom -> true, after everything sent before it
/// Its store writes are WAL appends without sync, short enough for a scheduler thread.
/// `db` and `metrics` outlive it.
caf::behavior catalog_shard(caf::stateful_actor<catalog_shard_state>* self, runtime::store* db,
                            observability::metrics* metrics, runtime::ranking_params params);

} // namespace drover::actors
