#include "actors/catalog.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/catalog_search.hpp"
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

/// Sends `message` to the actor of the shard that holds tool `id`, if held here.
template <class... Ts>
void send_to_local_shard(state_t* self, const std::string& id, const Ts&... message) {
  const auto& p = self->state.placement;
  auto held = p.local.find(static_cast<uint32_t>(shard_of(id, p.shard_count)));
  if (held != p.local.end())
    self->send(held->second, message...);
}

/// Makes `manifest` the one this node knows for its id.
void remember(state_t* self, runtime::tool_manifest manifest) {
  auto id = manifest.id;
  self->state.manifests[id] = std::make_shared<const runtime::tool_manifest>(std::move(manifest));
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
  // Only the shard here: a shard elsewhere ranks by what its own node probed.
  send_to_local_shard(self, id, availability_atom::value, id, found);
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

/// Places the shards, with every tool of the registry, and probes the tools without a readable
/// probe record.
void start(state_t* self) {
  auto& st = self->state;
  std::vector<runtime::tool_manifest> never_probed;
  for (auto& tool : st.setup.registry->list()) {
    // Never probed, or a record that no longer reads: probe again.
    if (st.setup.probe_at_start && !runtime::load_tool_availability(*st.setup.db, tool.id))
      never_probed.push_back(tool);
    remember(self, std::move(tool));
  }
  start_placement(self);
  probe(self, never_probed, 0);
}

caf::result<std::string> put_tool(state_t* self, const std::string& source, const std::string& yaml) {
  auto manifest = runtime::parse_tool_manifest(yaml, source);
  if (!manifest)
    return std::move(manifest.error());
  auto& setup = self->state.setup;
  if (auto error = runtime::store_user_manifest(*setup.db, manifest->id, source, yaml))
    return error;
  setup.registry->add(*manifest);
  remember(self, *manifest);
  send_to_local_shard(self, manifest->id, put_tool_atom::value, *manifest);
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
    [self](outcome_atom, const tool_outcome& outcome) { record_own_outcome(self, outcome); },
    [self](const runtime::shard_outcome& outcome) { take_remote_part(self, outcome); },
    [self](const runtime::shard_corpus_request& request) { return serve(self, request); },
    [self](const runtime::shard_rank_request& request) { return serve(self, request); },
    [self](const runtime::shard_hits_request& request) { return serve(self, request); },
    [self](const runtime::shard_stats_request& request) { return local_parts(self, request); },
    [self](const runtime::member_info& member) { on_member(self, member); },
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
    [self](show_atom, const std::string& id) { return show_tool(self, id); },
    [self](flush_atom) -> caf::result<bool> {
      auto promise = self->make_response_promise<bool>();
      // Outcomes are persisted as they arrive; what is left is the shards' queues.
      const auto shards = local_shards(self);
      auto left = std::make_shared<size_t>(shards.size());
      if (shards.empty())
        promise.deliver(true);
      for (const auto& shard : shards)
        self->request(shard, shard_timeout, flush_atom::value)
          .then(
            [promise, left](bool) mutable {
              if (--*left == 0)
                promise.deliver(true);
            },
            [promise](caf::error& error) mutable { promise.deliver(std::move(error)); });
      return promise;
    },
    [self](tools_atom) { return list_tools(self); },
  };
}

} // namespace drover::actors
