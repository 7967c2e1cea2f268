#include "actors/catalog_search.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "actors/catalog.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::actors {

namespace {

using runtime::search_hit;

/// Asks each shard of `shards` for make(shard) and calls `done` once with their replies in that
/// order, nothing for a shard that did not answer.
template <class Reply, class Make, class Done>
void gather_shards(catalog_self self, const std::vector<uint32_t>& shards, Make make, Done done) {
  struct pending {
    std::vector<std::optional<Reply>> replies;
    size_t left;
    Done done;
  };
  auto round = std::make_shared<pending>(pending{std::vector<std::optional<Reply>>(shards.size()), shards.size(),
                                                 std::move(done)});
  if (shards.empty())
    return round->done(std::move(round->replies));
  for (size_t i = 0; i < shards.size(); ++i)
    ask_shard(self, shards[i], make(shards[i]), [round, i](std::optional<Reply> reply) {
      round->replies[i] = std::move(reply);
      if (--round->left == 0)
        round->done(std::move(round->replies));
    });
}

std::vector<uint32_t> every_shard(catalog_self self) {
  std::vector<uint32_t> shards(self->state.placement.shard_count);
  for (uint32_t shard = 0; shard < shards.size(); ++shard)
    shards[shard] = shard;
  return shards;
}

/// Turns a shard's hits into search hits with this node's manifests; drops a hit of a tool this
/// node does not know or that `expected` (the ids ranked for that shard) does not name, which
/// happens only when the shard moved between the rounds.
void add_hits(catalog_self self, runtime::shard_hits_reply& reply, const std::set<std::string>& expected,
              std::vector<search_hit>& hits) {
  const auto& manifests = self->state.manifests;
  for (auto& hit : reply.hits) {
    auto manifest = manifests.find(hit.tool_id);
    if (manifest == manifests.end() || expected.count(hit.tool_id) == 0)
      continue;
    hits.push_back({manifest->second, std::move(hit.availability), std::move(hit.factors)});
  }
}

/// Calls `done(hits, missing)` with every tool of `shards`, each a hit of a query without text
/// and `missing` the shards that did not answer.
template <class Done>
void collect_tools(catalog_self self, std::vector<uint32_t> shards, Done done) {
  const auto now_ms = runtime::unix_now_ms();
  const runtime::search_request everything{"", {}, std::max<size_t>(1, self->state.manifests.size())};
  gather_shards<runtime::shard_rank_reply>(
    self, shards,
    [&](uint32_t shard) { return runtime::shard_rank_request{shard, everything, {}, {}, now_ms}; },
    [self, shards, now_ms, done](std::vector<std::optional<runtime::shard_rank_reply>> rankings) mutable {
      auto missing = std::make_shared<std::vector<uint32_t>>();
      std::vector<uint32_t> answered;
      auto expected = std::make_shared<std::map<uint32_t, std::pair<std::vector<uint32_t>, std::set<std::string>>>>();
      for (size_t i = 0; i < shards.size(); ++i) {
        if (!rankings[i]) {
          missing->push_back(shards[i]);
          continue;
        }
        answered.push_back(shards[i]);
        auto& [slots, ids] = (*expected)[shards[i]];
        for (const auto& ranked : rankings[i]->ranking) {
          slots.push_back(ranked.slot);
          ids.insert(ranked.id);
        }
      }
      gather_shards<runtime::shard_hits_reply>(
        self, answered,
        [&](uint32_t shard) { return runtime::shard_hits_request{shard, (*expected)[shard].first, {}, {}, now_ms}; },
        [self, answered, expected, missing, done](std::vector<std::optional<runtime::shard_hits_reply>> parts) mutable {
          std::vector<search_hit> hits;
          for (size_t i = 0; i < answered.size(); ++i) {
            if (parts[i])
              add_hits(self, *parts[i], (*expected)[answered[i]].second, hits);
            else
              missing->push_back(answered[i]);
          }
          std::sort(missing->begin(), missing->end());
          done(std::move(hits), std::move(*missing));
        });
    });
}

} // namespace

caf::result<search_reply> search(catalog_self self, runtime::search_request request) {
  struct query {
    runtime::search_request request;
    std::vector<std::string> terms;
    runtime::corpus_stats corpus;
    int64_t now_ms = runtime::unix_now_ms();
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::set<uint32_t> missing;
    std::vector<uint32_t> ranked_shards;
    caf::typed_response_promise<search_reply> promise;
  };
  auto q = std::make_shared<query>();
  q->terms = runtime::search_terms(request.text);
  q->request = std::move(request);
  q->promise = self->make_response_promise<search_reply>();
  const auto answer = [self, q](std::vector<search_hit> hits) {
    auto& st = self->state;
    st.queries->increment();
    st.hits->increment(static_cast<double>(hits.size()));
    st.query_seconds->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - q->started).count());
    q->promise.deliver(search_reply{std::move(hits), q->corpus.documents, {q->missing.begin(), q->missing.end()}});
  };
  const auto fetch = [self, q, answer](std::vector<std::optional<runtime::shard_rank_reply>> replies) {
    std::vector<std::vector<runtime::ranked_tool>> rankings;
    for (size_t i = 0; i < replies.size(); ++i) {
      if (!replies[i])
        q->missing.insert(q->ranked_shards[i]);
      rankings.push_back(replies[i] ? std::move(replies[i]->ranking) : std::vector<runtime::ranked_tool>{});
    }
    // Which ids each shard ranked: a hit of another tool means the shard moved between rounds.
    std::vector<std::set<std::string>> ranked_ids(rankings.size());
    for (size_t i = 0; i < rankings.size(); ++i)
      for (const auto& ranked : rankings[i])
        ranked_ids[i].insert(ranked.id);
    const auto best = runtime::merge_rankings(std::move(rankings), q->request.limit);
    std::vector<uint32_t> shards;
    for (const auto& [index, slots] : best)
      shards.push_back(q->ranked_shards[index]);
    gather_shards<runtime::shard_hits_reply>(
      self, shards,
      [&](uint32_t shard) {
        const auto at = static_cast<size_t>(std::find(shards.begin(), shards.end(), shard) - shards.begin());
        return runtime::shard_hits_request{shard, best[at].second, q->terms, q->corpus, q->now_ms};
      },
      [self, q, answer, best, shards, ranked_ids](std::vector<std::optional<runtime::shard_hits_reply>> parts) {
        std::vector<search_hit> hits;
        for (size_t i = 0; i < parts.size(); ++i) {
          if (parts[i])
            add_hits(self, *parts[i], ranked_ids[best[i].first], hits);
          else
            q->missing.insert(shards[i]);
        }
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return runtime::ranks_before(a, b); });
        answer(std::move(hits));
      });
  };
  gather_shards<runtime::shard_corpus_reply>(
    self, every_shard(self), [&](uint32_t shard) { return runtime::shard_corpus_request{shard, q->terms}; },
    [self, q, fetch](std::vector<std::optional<runtime::shard_corpus_reply>> parts) {
      for (uint32_t shard = 0; shard < parts.size(); ++shard) {
        if (!parts[shard]) {
          q->missing.insert(shard);
          continue;
        }
        q->corpus.merge(parts[shard]->corpus);
        q->ranked_shards.push_back(shard);
      }
      gather_shards<runtime::shard_rank_reply>(
        self, q->ranked_shards,
        [&](uint32_t shard) { return runtime::shard_rank_request{shard, q->request, q->terms, q->corpus, q->now_ms}; },
        fetch);
    });
  return q->promise;
}

caf::result<std::vector<search_hit>> list_tools(catalog_self self) {
  auto promise = self->make_response_promise<std::vector<search_hit>>();
  collect_tools(self, every_shard(self), [promise](std::vector<search_hit> hits, std::vector<uint32_t>) mutable {
    std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.tool->id < b.tool->id; });
    promise.deliver(std::move(hits));
  });
  return promise;
}

caf::result<search_hit> show_tool(catalog_self self, const std::string& id) {
  if (self->state.manifests.count(id) == 0)
    return runtime::make_error(runtime::runtime_errc::not_found, "no tool " + id);
  auto promise = self->make_response_promise<search_hit>();
  const auto shard = static_cast<uint32_t>(shard_of(id, self->state.placement.shard_count));
  collect_tools(self, {shard}, [promise, id, shard](std::vector<search_hit> hits, std::vector<uint32_t> missing) mutable {
    auto found = std::find_if(hits.begin(), hits.end(), [&](const auto& hit) { return hit.tool->id == id; });
    if (found != hits.end())
      promise.deliver(std::move(*found));
    else if (!missing.empty())
      promise.deliver(runtime::make_error(runtime::runtime_errc::unavailable, "the owner of catalog shard "
                                                                               + std::to_string(shard) + " (tool " + id
                                                                               + ") did not answer"));
    else
      promise.deliver(runtime::make_error(runtime::runtime_errc::not_found, "no tool " + id));
  });
  return promise;
}

} // namespace drover::actors
