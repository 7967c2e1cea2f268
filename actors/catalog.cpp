#include "actors/catalog.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/catalog_shard.hpp"
#include "runtime/error.hpp"
#include "runtime/tool_probe.hpp"
#include "runtime/tool_records.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::actors {

namespace {

using state_t = caf::stateful_actor<catalog_state>;
using runtime::search_hit;

/// A probe of one tool ended (sent from the process runner's thread).
using probed_atom = caf::atom_constant<caf::atom("probed")>;

constexpr auto shard_timeout = std::chrono::seconds{10};
constexpr size_t max_parallel_probes = 4;

/// Calls `ask(i)` for each i below `count`, each a request to a shard, and `done` once: with
/// their answers in that order, or with the first error.
template <class T, class Ask, class Done>
void gather_each(size_t count, Ask ask, Done done) {
  struct pending {
    std::vector<T> answers;
    size_t left;
    bool over = false;
    Done done;
  };
  auto round = std::make_shared<pending>(pending{std::vector<T>(count), count, false, std::move(done)});
  if (count == 0)
    round->done(caf::expected<std::vector<T>>{std::vector<T>{}});
  for (size_t i = 0; i < count; ++i)
    ask(i).then(
      [round, i](T& answer) {
        round->answers[i] = std::move(answer);
        if (--round->left == 0 && !round->over) {
          round->over = true;
          round->done(caf::expected<std::vector<T>>{std::move(round->answers)});
        }
      },
      [round](caf::error& error) {
        if (!round->over) {
          round->over = true;
          round->done(caf::expected<std::vector<T>>{std::move(error)});
        }
      });
}

/// Sends `message` to every shard and calls `done` once: with their answers in shard order,
/// or with the first error.
template <class T, class Done, class... Ts>
void gather(state_t* self, Done done, const Ts&... message) {
  const auto& shards = self->state.shards;
  gather_each<T>(
    shards.size(), [&](size_t i) { return self->request(shards[i], shard_timeout, message...); }, std::move(done));
}

const caf::actor& owner(state_t* self, const std::string& id) {
  return self->state.shards[shard_of(id, self->state.shards.size())];
}

/// Starts queued probes while fewer than max_parallel_probes run; each result comes back as a
/// probed_atom message. Bounded so that probing a large catalog on a busy machine neither
/// swamps it nor makes the probes time out each other.
void start_probes(state_t* self) {
  auto& st = self->state;
  auto handle = caf::actor_cast<caf::actor>(self);
  while (st.probes_running < max_parallel_probes && !st.probe_queue.empty()) {
    auto [round, tool] = std::move(st.probe_queue.front());
    st.probe_queue.pop_front();
    if (!tool.probe) {
      self->send(self, probed_atom::value, round, tool.id,
                 runtime::probe_without_command(tool, st.setup.drover_binary, runtime::unix_now_ms()));
    } else {
      st.setup.runner->start(runtime::probe_process(tool, st.setup.drover_binary),
                             [handle, round = round, tool = tool](caf::expected<runtime::process_result> run) {
                               caf::anon_send(handle, probed_atom::value, round, tool.id,
                                              runtime::probe_outcome(tool, run, runtime::unix_now_ms()));
                             });
    }
    ++st.probes_running;
  }
}

/// Queues probes of `tools` for `round` (0: in the background, for nobody waiting); a round
/// somebody waits for goes ahead of the background ones.
void probe(state_t* self, const std::vector<runtime::tool_manifest>& tools, uint64_t round) {
  auto& queue = self->state.probe_queue;
  auto at = round == 0 ? queue.end()
                       : std::find_if(queue.begin(), queue.end(), [](const auto& queued) { return queued.first == 0; });
  for (const auto& tool : tools)
    at = std::next(queue.emplace(at, round, tool));
  start_probes(self);
}

void on_probed(state_t* self, uint64_t round, const std::string& id, runtime::tool_availability& found) {
  auto& st = self->state;
  --st.probes_running;
  start_probes(self);
  if (auto error = runtime::store_tool_availability(*st.setup.db, id, found))
    spdlog::error("tool {}: cannot store its probe result: {}", id, runtime::describe(error));
  self->send(owner(self, id), availability_atom::value, id, found);
  auto waiting = st.probes.find(round);
  if (waiting == st.probes.end())
    return;
  waiting->second.report.emplace_back(id, std::move(found));
  if (waiting->second.report.size() < waiting->second.expected)
    return;
  std::sort(waiting->second.report.begin(), waiting->second.report.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  waiting->second.promise.deliver(std::move(waiting->second.report));
  st.probes.erase(waiting);
}

/// Hands every tool of the registry to its shard and probes those without a readable probe record.
void start(state_t* self) {
  auto& st = self->state;
  for (size_t i = 0; i < st.setup.shards; ++i)
    st.shards.push_back(self->spawn<caf::linked>(catalog_shard, st.setup.db, st.setup.metrics, st.setup.params));
  std::vector<runtime::tool_manifest> never_probed;
  for (auto& tool : st.setup.registry->list()) {
    // Never probed, or a record that no longer reads: probe again.
    if (st.setup.probe_at_start && !runtime::load_tool_availability(*st.setup.db, tool.id))
      never_probed.push_back(tool);
    self->send(owner(self, tool.id), put_tool_atom::value, std::move(tool));
  }
  probe(self, never_probed, 0);
}

/// Answers a search in three rounds over the shards: their corpus statistics for the query
/// terms, merged; each one's ranking against them, merged; the hits of the best, from the
/// shards that hold them.
caf::result<search_reply> search(state_t* self, runtime::search_request request) {
  struct query {
    runtime::search_request request;
    std::vector<std::string> terms;
    runtime::corpus_stats corpus;
    int64_t now_ms = runtime::unix_now_ms();
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    caf::typed_response_promise<search_reply> promise;
  };
  auto q = std::make_shared<query>();
  q->terms = runtime::search_terms(request.text);
  q->request = std::move(request);
  q->promise = self->make_response_promise<search_reply>();
  const auto fail = [q](caf::error& error) { q->promise.deliver(std::move(error)); };
  const auto answer = [self, q](std::vector<search_hit> hits) {
    auto& st = self->state;
    st.queries->increment();
    st.hits->increment(static_cast<double>(hits.size()));
    st.query_seconds->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - q->started).count());
    q->promise.deliver(search_reply{std::move(hits), q->corpus.documents});
  };
  const auto fetch = [self, q, fail, answer](std::vector<std::vector<runtime::ranked_tool>>& rankings) {
    const auto best = runtime::merge_rankings(std::move(rankings), q->request.limit);
    gather_each<std::vector<search_hit>>(
      best.size(),
      [&](size_t i) {
        return self->request(self->state.shards[best[i].first], shard_timeout, hits_atom::value, best[i].second,
                             q->terms, q->corpus, q->now_ms);
      },
      [fail, answer](caf::expected<std::vector<std::vector<search_hit>>> parts) {
        if (!parts)
          return fail(parts.error());
        std::vector<search_hit> hits;
        for (auto& part : *parts)
          std::move(part.begin(), part.end(), std::back_inserter(hits));
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return runtime::ranks_before(a, b); });
        answer(std::move(hits));
      });
  };
  gather<runtime::corpus_stats>(
    self,
    [self, q, fail, fetch](caf::expected<std::vector<runtime::corpus_stats>> parts) {
      if (!parts)
        return fail(parts.error());
      for (const auto& part : *parts)
        q->corpus.merge(part);
      gather<std::vector<runtime::ranked_tool>>(
        self,
        [fail, fetch](caf::expected<std::vector<std::vector<runtime::ranked_tool>>> rankings) {
          if (!rankings)
            return fail(rankings.error());
          fetch(*rankings);
        },
        search_atom::value, q->request, q->terms, q->corpus, q->now_ms);
    },
    corpus_atom::value, q->terms);
  return q->promise;
}

caf::result<std::string> put_tool(state_t* self, const std::string& source, const std::string& yaml) {
  auto manifest = runtime::parse_tool_manifest(yaml, source);
  if (!manifest)
    return std::move(manifest.error());
  auto& setup = self->state.setup;
  if (auto error = runtime::store_user_manifest(*setup.db, manifest->id, source, yaml))
    return error;
  setup.registry->add(*manifest);
  self->send(owner(self, manifest->id), put_tool_atom::value, *manifest);
  probe(self, {*manifest}, 0);
  return manifest->id;
}

} // namespace

size_t shard_of(const std::string& id, size_t shards) {
  uint64_t hash = 14695981039346656037ULL; // FNV-1a: stable across runs and builds
  for (unsigned char c : id)
    hash = (hash ^ c) * 1099511628211ULL;
  return static_cast<size_t>(hash % shards);
}

caf::behavior catalog(state_t* self, catalog_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  auto& metrics = *st.setup.metrics;
  st.queries = &metrics.make_counter("drover_catalog_queries_total", "Tool searches answered.");
  st.hits = &metrics.make_counter("drover_catalog_hits_total", "Tools returned by searches.");
  st.query_seconds = &metrics.make_histogram("drover_catalog_query_seconds", "Duration of tool searches.",
                                             observability::exponential_buckets(0.00005, 2, 16));
  start(self);
  return {
    [self](search_atom, runtime::search_request& request) { return search(self, std::move(request)); },
    [self](outcome_atom, const tool_outcome& outcome) {
      self->send(owner(self, outcome.tool), outcome_atom::value, outcome);
    },
    [self](put_tool_atom, const std::string& source, const std::string& yaml) {
      return put_tool(self, source, yaml);
    },
    [self](probe_atom, const std::vector<std::string>& ids) -> caf::result<probe_report> {
      auto& st = self->state;
      std::vector<runtime::tool_manifest> tools;
      if (ids.empty())
        tools = st.setup.registry->list();
      for (const auto& id : ids) {
        auto tool = st.setup.registry->find(id);
        if (!tool)
          return runtime::make_error(runtime::runtime_errc::not_found, "no tool " + id);
        tools.push_back(std::move(*tool));
      }
      if (tools.empty())
        return probe_report{};
      const auto round = ++st.last_probe_round;
      auto promise = self->make_response_promise<probe_report>();
      st.probes[round] = {{}, tools.size(), promise};
      probe(self, tools, round);
      return promise;
    },
    [self](probed_atom, uint64_t round, const std::string& id, runtime::tool_availability& found) {
      on_probed(self, round, id, found);
    },
    [self](show_atom, const std::string& id) -> caf::result<search_hit> {
      auto promise = self->make_response_promise<search_hit>();
      self->request(owner(self, id), shard_timeout, show_atom::value, id, runtime::unix_now_ms())
        .then(
          [promise, id](std::vector<search_hit>& found) mutable {
            if (found.empty())
              promise.deliver(runtime::make_error(runtime::runtime_errc::not_found, "no tool " + id));
            else
              promise.deliver(std::move(found.front()));
          },
          [promise](caf::error& error) mutable { promise.deliver(std::move(error)); });
      return promise;
    },
    [self](flush_atom) -> caf::result<bool> {
      auto promise = self->make_response_promise<bool>();
      gather<bool>(
        self,
        [promise](caf::expected<std::vector<bool>> done) mutable {
          if (done)
            promise.deliver(true);
          else
            promise.deliver(std::move(done.error()));
        },
        flush_atom::value);
      return promise;
    },
    [self](tools_atom) -> caf::result<std::vector<search_hit>> {
      auto promise = self->make_response_promise<std::vector<search_hit>>();
      gather<std::vector<search_hit>>(
        self,
        [promise](caf::expected<std::vector<std::vector<search_hit>>> parts) mutable {
          if (!parts) {
            promise.deliver(std::move(parts.error()));
            return;
          }
          std::vector<search_hit> all;
          for (auto& part : *parts)
            all.insert(all.end(), part.begin(), part.end());
          std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.tool->id < b.tool->id; });
          promise.deliver(std::move(all));
        },
        tools_atom::value, runtime::unix_now_ms());
      return promise;
    },
  };
}

} // namespace drover::actors
