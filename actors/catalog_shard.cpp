#include "actors/catalog_shard.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"
#include "runtime/tool_records.hpp"

namespace drover::actors {

namespace {

using state_t = caf::stateful_actor<catalog_shard_state>;

/// Loads what this node's last probe of `id` found into the index.
void load_availability(catalog_shard_state& st, const std::string& id) {
  auto availability = runtime::load_tool_availability(*st.db, id);
  if (availability)
    st.index.set_availability(id, std::move(*availability));
  else if (!runtime::is(availability.error(), runtime::runtime_errc::not_found))
    spdlog::error("tool {}: ignoring its stored probe result: {}", id, runtime::describe(availability.error()));
}

/// Gives the index the merge of the parts held for `id`, if it holds the tool.
void apply_parts(catalog_shard_state& st, const std::string& id) {
  auto parts = st.parts.find(id);
  if (parts == st.parts.end() || st.index.find(id) == nullptr)
    return;
  std::vector<runtime::tool_stats> all;
  for (const auto& [origin, part] : parts->second)
    all.push_back(part);
  st.index.set_stats(id, runtime::merge_tool_stats(std::move(all), st.prior));
}

void take_parts(catalog_shard_state& st, const std::vector<runtime::tool_stats_record>& records) {
  std::set<std::string> changed;
  for (const auto& record : records) {
    auto& held = st.parts[record.tool_id];
    auto known = held.find(record.origin);
    if (known != held.end() && !runtime::supersedes(record.stats, known->second))
      continue;
    held[record.origin] = record.stats;
    changed.insert(record.tool_id);
    st.outcome_updates->increment();
  }
  for (const auto& id : changed)
    apply_parts(st, id);
}

runtime::shard_hits_reply to_reply(std::vector<runtime::search_hit> hits) {
  runtime::shard_hits_reply reply{true, {}};
  reply.hits.reserve(hits.size());
  for (auto& hit : hits)
    reply.hits.push_back({hit.tool->id, std::move(hit.availability), std::move(hit.factors)});
  return reply;
}

} // namespace

caf::behavior catalog_shard(state_t* self, runtime::store* db, observability::metrics* metrics,
                            runtime::ranking_params params) {
  auto& st = self->state;
  st.db = db;
  st.prior = params.prior;
  st.index = runtime::tool_index{std::move(params)};
  st.outcome_updates = &metrics->make_counter(
    "drover_catalog_outcome_updates_total",
    "Newer parts of tool outcome statistics taken by catalog shards (one per invocation recorded, or per part pulled).");
  return {
    [self](put_tool_atom, runtime::tool_manifest& manifest) {
      const auto id = manifest.id;
      self->state.index.put(std::move(manifest));
      load_availability(self->state, id);
      apply_parts(self->state, id);
    },
    [self](const runtime::shard_corpus_request& request) {
      return runtime::shard_corpus_reply{true, self->state.index.corpus(request.terms)};
    },
    [self](const runtime::shard_rank_request& request) {
      return runtime::shard_rank_reply{
        true, self->state.index.rank(request.request, request.terms, request.corpus, request.now_ms)};
    },
    [self](const runtime::shard_hits_request& request) {
      return to_reply(self->state.index.hits(request.slots, request.terms, request.corpus, request.now_ms));
    },
    [self](parts_atom, const std::vector<runtime::tool_stats_record>& records) { take_parts(self->state, records); },
    [self](availability_atom, const std::string& id, runtime::tool_availability& availability) {
      self->state.index.set_availability(id, std::move(availability));
    },
    [](flush_atom) { return true; },
  };
}

} // namespace drover::actors
