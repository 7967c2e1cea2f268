#pragma once

#include <map>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_messages.hpp"
#include "observability/metrics.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_search.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::actors {

struct catalog_shard_state {
  runtime::store* db = nullptr;
  observability::counter* outcome_updates = nullptr;
  runtime::tool_index index;
  runtime::prior_params prior;
  /// Each tool's statistics parts, by tool id then origin node; the index holds their merge.
  std::map<std::string, std::map<std::string, runtime::tool_stats>> parts;
  static inline const char* name = "drover.catalog-shard";
};

/// A partition of the tool catalog (see runtime::tool_index): answers relevance queries over
/// its tools and keeps their outcome statistics as parts by origin node (see
/// actors/catalog_placement.hpp), ranking with their merge. The catalog front persists the
/// parts; the shard only holds them. Messages:
/// - put_tool_atom, tool_manifest: holds the tool, with its stored availability
/// - shard_corpus_request -> shard_corpus_reply
/// - shard_rank_request -> shard_rank_reply
/// - shard_hits_request -> shard_hits_reply
/// - parts_atom, std::vector<tool_stats_record>: keeps each part that supersedes the one held
///   for its (tool, origin) (runtime::supersedes) and ranks with the merge
/// - availability_atom, id, tool_availability
/// - flush_atom -> true, after everything sent before it
/// `db` (read for availability) and `metrics` outlive it.
caf::behavior catalog_shard(caf::stateful_actor<catalog_shard_state>* self, runtime::store* db,
                            observability::metrics* metrics, runtime::ranking_params params);

} // namespace drover::actors
