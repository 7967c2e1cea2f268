#include "actors/catalog_shard.hpp"

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"
#include "runtime/tool_records.hpp"

namespace drover::actors {

namespace {

using state_t = caf::stateful_actor<catalog_shard_state>;

/// Returns `loaded`'s value; logs why there is none unless there is simply no record.
template <class T>
std::optional<T> loaded_or_logged(caf::expected<T> loaded, const std::string& id, const char* what) {
  if (loaded)
    return std::move(*loaded);
  if (!runtime::is(loaded.error(), runtime::runtime_errc::not_found))
    spdlog::error("tool {}: ignoring its stored {}: {}", id, what, runtime::describe(loaded.error()));
  return std::nullopt;
}

/// Loads what the store holds about `id` (statistics, last probe) into the index.
void load_records(catalog_shard_state& st, const std::string& id) {
  if (auto stats = loaded_or_logged(runtime::load_tool_stats(*st.db, id), id, "statistics"))
    st.index.set_stats(id, std::move(*stats));
  if (auto availability = loaded_or_logged(runtime::load_tool_availability(*st.db, id), id, "probe result"))
    st.index.set_availability(id, std::move(*availability));
}

void record_outcome(catalog_shard_state& st, const tool_outcome& outcome) {
  if (st.index.find(outcome.tool) == nullptr)
    return;
  const auto& stats = st.index.record_outcome(outcome.tool, outcome.ok, outcome.latency_ms, outcome.at_ms);
  if (auto error = runtime::store_tool_stats(*st.db, outcome.tool, stats))
    spdlog::error("tool {}: cannot store its outcome statistics: {}", outcome.tool, runtime::describe(error));
  st.outcome_updates->increment();
}

} // namespace

caf::behavior catalog_shard(state_t* self, runtime::store* db, observability::metrics* metrics,
                            runtime::ranking_params params) {
  auto& st = self->state;
  st.db = db;
  st.index = runtime::tool_index{std::move(params)};
  st.outcome_updates = &metrics->make_counter(
    "drover_catalog_outcome_updates_total", "Tool invocation outcomes recorded by catalog shards.");
  return {
    [self](put_tool_atom, runtime::tool_manifest& manifest) {
      const auto id = manifest.id;
      self->state.index.put(std::move(manifest));
      load_records(self->state, id);
    },
    [self](corpus_atom, const std::vector<std::string>& terms) { return self->state.index.corpus(terms); },
    [self](search_atom, const runtime::search_request& request, const std::vector<std::string>& terms,
           const runtime::corpus_stats& corpus, int64_t now_ms) {
      return self->state.index.rank(request, terms, corpus, now_ms);
    },
    [self](hits_atom, const std::vector<uint32_t>& slots, const std::vector<std::string>& terms,
           const runtime::corpus_stats& corpus, int64_t now_ms) {
      return self->state.index.hits(slots, terms, corpus, now_ms);
    },
    [self](outcome_atom, const tool_outcome& outcome) { record_outcome(self->state, outcome); },
    [self](availability_atom, const std::string& id, runtime::tool_availability& availability) {
      self->state.index.set_availability(id, std::move(availability));
    },
    [self](show_atom, const std::string& id, int64_t now_ms) {
      std::vector<runtime::search_hit> found;
      if (auto hit = self->state.index.describe(id, now_ms))
        found.push_back(std::move(*hit));
      return found;
    },
    [](flush_atom) { return true; },
    [self](tools_atom, int64_t now_ms) {
      auto& index = self->state.index;
      std::vector<uint32_t> slots;
      for (const auto& ranked : index.rank({"", {}, index.size()}, {}, {}, now_ms))
        slots.push_back(ranked.slot);
      return index.hits(slots, {}, {}, now_ms);
    },
  };
}

} // namespace drover::actors
