#include "actors/catalog_placement.hpp"

#include <chrono>

#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include "actors/catalog.hpp"
#include "actors/catalog_shard.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"
#include "runtime/placement.hpp"
#include "runtime/tool_records.hpp"

namespace drover::actors {

namespace {

using runtime::member_state;

/// A shard actor on this node answers at once; one on another node gets this long before the
/// search goes on without it (its node may be dead and not yet declared so).
constexpr auto local_timeout = std::chrono::seconds{10};
constexpr auto remote_timeout = std::chrono::seconds{2};
constexpr auto pull_timeout = std::chrono::seconds{5};

shard_placement& placement(catalog_self self) {
  return self->state.placement;
}

const std::string& me(catalog_self self) {
  return self->state.setup.node_id;
}

/// Returns the members that take shards: this node and the others not dead that agree on the
/// shard count.
std::vector<std::string> participants(catalog_self self) {
  std::vector<std::string> ids{me(self)};
  for (const auto& [id, info] : placement(self).members)
    if (info.state != member_state::dead && info.catalog_shards == placement(self).shard_count)
      ids.push_back(id);
  return ids;
}

/// Gives the shard actor of `shard`, if held here, the parts in `records`.
void give_parts(catalog_self self, uint32_t shard, std::vector<runtime::tool_stats_record> records) {
  auto held = placement(self).local.find(shard);
  if (held != placement(self).local.end() && !records.empty())
    self->send(held->second, parts_atom::value, std::move(records));
}

/// Persists a copy of another node's part unless a superseding one is stored already.
void keep_copy(catalog_self self, const runtime::tool_stats_record& part) {
  auto& db = *self->state.setup.db;
  if (part.origin == me(self) || part.origin.empty() || part.tool_id.empty())
    return; // this node's own part is persisted where it is produced
  auto copies = runtime::load_tool_stats_copies(db, part.tool_id);
  if (copies)
    for (const auto& [origin, stats] : *copies)
      if (origin == part.origin && !runtime::supersedes(part.stats, stats))
        return;
  if (auto error = runtime::store_tool_stats_copy(db, part.tool_id, part.origin, part.stats))
    spdlog::error("tool {}: cannot store the statistics of node {}: {}", part.tool_id, part.origin,
                  runtime::describe(error));
}

/// Asks `node`'s front for its parts of `shard` and gives them to the shard held here.
void pull(catalog_self self, uint32_t shard, const std::string& node) {
  auto front = placement(self).fronts.find(node);
  if (front == placement(self).fronts.end())
    return; // pulled when its front arrives (on_front)
  placement(self).remote_requests->increment();
  self->request(front->second, pull_timeout, runtime::shard_stats_request{shard})
    .then(
      [self, shard](runtime::shard_stats_reply& reply) {
        for (const auto& part : reply.stats)
          keep_copy(self, part);
        give_parts(self, shard, std::move(reply.stats));
      },
      [self, shard, node](caf::error& error) {
        if (error == caf::sec::request_timeout)
          placement(self).remote_timeouts->increment();
        spdlog::warn("catalog shard {}: no statistics from node {}: {}", shard, node, runtime::describe(error));
      });
}

/// Spawns the actor of `shard` here with its tools and every part of their statistics known.
void build(catalog_self self, uint32_t shard) {
  auto& st = self->state;
  auto& p = placement(self);
  auto actor = self->spawn<caf::linked>(catalog_shard, st.setup.db, st.setup.metrics, st.setup.params);
  p.local[shard] = actor;
  for (const auto& [id, manifest] : st.manifests)
    if (shard_of(id, p.shard_count) == shard)
      self->send(actor, put_tool_atom::value, *manifest);
  give_parts(self, shard, local_parts(self, {shard}).stats);
  for (const auto& [node, front] : p.fronts)
    pull(self, shard, node);
  if (p.started) {
    p.rehomings->increment();
    spdlog::info("catalog shard {} is now held here", shard);
  }
}

void drop(catalog_self self, uint32_t shard) {
  auto& p = placement(self);
  self->unlink_from(p.local[shard]);
  self->send_exit(p.local[shard], caf::exit_reason::user_shutdown);
  p.local.erase(shard);
  spdlog::info("catalog shard {} moved to node {}", shard, p.owners[shard]);
}

/// Recomputes the owner and runner-up of every shard; builds the shards this node now owns and
/// drops those it no longer does.
void place(catalog_self self) {
  auto& p = placement(self);
  const auto ids = participants(self);
  for (uint32_t shard = 0; shard < p.shard_count; ++shard) {
    auto ranked = runtime::ranked_owners(shard, ids, 2);
    p.owners[shard] = ranked[0];
    p.runners_up[shard] = ranked.size() > 1 ? ranked[1] : std::string{};
    const bool here = ranked[0] == me(self);
    if (here && p.local.count(shard) == 0)
      build(self, shard);
    else if (!here && p.local.count(shard) != 0)
      drop(self, shard);
  }
  p.owned->set(static_cast<double>(p.local.size()));
  p.started = true;
}

/// Sends a request to `shard` here or at its owner (see ask_shard).
template <class Reply, class Request>
void ask(catalog_self self, uint32_t shard, Request request, std::function<void(std::optional<Reply>)> done) {
  auto& p = placement(self);
  const auto fail = [done](caf::error&) { done(std::nullopt); };
  if (auto held = p.local.find(shard); held != p.local.end()) {
    self->request(held->second, local_timeout, std::move(request))
      .then([done](Reply& reply) { done(std::move(reply)); }, fail);
    return;
  }
  auto front = shard < p.owners.size() ? p.fronts.find(p.owners[shard]) : p.fronts.end();
  if (front == p.fronts.end())
    return done(std::nullopt);
  p.remote_requests->increment();
  self->request(front->second, remote_timeout, std::move(request))
    .then(
      [done](Reply& reply) {
        if (reply.held)
          done(std::move(reply));
        else
          done(std::nullopt);
      },
      [self, done, shard](caf::error& error) {
        if (error == caf::sec::request_timeout)
          placement(self).remote_timeouts->increment();
        spdlog::warn("catalog shard {}: its owner did not answer: {}", shard, runtime::describe(error));
        done(std::nullopt);
      });
}

/// Answers another front from the shard actor held here, or says the shard is not here.
template <class Reply, class Request>
caf::result<Reply> serve_from_shard(catalog_self self, const Request& request) {
  auto held = placement(self).local.find(request.shard);
  if (held == placement(self).local.end())
    return Reply{};
  auto promise = self->make_response_promise<Reply>();
  self->request(held->second, local_timeout, request)
    .then([promise](Reply& reply) mutable { promise.deliver(std::move(reply)); },
          [promise](caf::error& error) mutable { promise.deliver(std::move(error)); });
  return promise;
}

} // namespace

void start_placement(catalog_self self) {
  auto& st = self->state;
  auto& p = st.placement;
  auto& metrics = *st.setup.metrics;
  p.shard_count = static_cast<uint32_t>(st.setup.shards);
  p.owners.resize(p.shard_count);
  p.runners_up.resize(p.shard_count);
  p.owned = &metrics.make_gauge("drover_catalog_shards_owned", "Catalog shards held by this node.");
  p.rehomings = &metrics.make_counter("drover_catalog_rehomings_total",
                                      "Catalog shards built on this node after start (placement changes).");
  p.remote_requests = &metrics.make_counter("drover_catalog_remote_shard_requests_total",
                                            "Requests to catalog shards held by other members.");
  p.remote_timeouts = &metrics.make_counter("drover_catalog_remote_shard_timeouts_total",
                                            "Requests to catalog shards of other members that timed out.");
  place(self);
  if (!st.setup.cluster)
    return;
  self->send(st.setup.cluster, runtime::subscribe_atom::value);
  self->request(st.setup.cluster, local_timeout, runtime::members_atom::value)
    .then(
      [self](std::vector<runtime::member_info>& members) {
        for (const auto& member : members)
          on_member(self, member);
      },
      [](caf::error& error) {
        spdlog::error("catalog: the membership does not list the members: {}", runtime::describe(error));
      });
}

void on_member(catalog_self self, const runtime::member_info& info) {
  auto& p = placement(self);
  if (info.node_id == me(self) || info.node_id.empty())
    return;
  const bool usable = info.state != member_state::dead && info.catalog_shards == p.shard_count;
  if (info.state != member_state::dead && info.catalog_shards != p.shard_count
      && p.refused.emplace(info.node_id, info.boot_count).second)
    spdlog::error("catalog: member {} announces {} catalog shards, this node {}: it gets no shard and its "
                  "shards are not used; set catalog_shards alike on every member",
                  info.node_id, info.catalog_shards, p.shard_count);
  const auto known = p.members.find(info.node_id);
  const bool came_back = known == p.members.end() || known->second.state == member_state::dead
                         || known->second.boot_count != info.boot_count;
  p.members[info.node_id] = info;
  if (!usable) {
    p.fronts.erase(info.node_id);
  } else if (came_back || p.fronts.count(info.node_id) == 0) {
    // A new proxy for a restarted node; its parts are pulled once it is here.
    self->request(self->state.setup.cluster, local_timeout, runtime::remote_atom::value, info.node_id,
                  std::string{runtime::actor_names::catalog})
      .then([self, node = info.node_id](caf::actor& front) { on_front(self, node, std::move(front)); },
            [node = info.node_id](caf::error& error) {
              spdlog::warn("catalog: no handle on node {}'s catalog: {}", node, runtime::describe(error));
            });
  }
  place(self);
}

void on_front(catalog_self self, const std::string& node, caf::actor front) {
  auto& p = placement(self);
  auto member = p.members.find(node);
  if (member == p.members.end() || member->second.state == member_state::dead)
    return; // declared dead while its handle was made
  p.fronts[node] = std::move(front);
  for (const auto& [shard, actor] : p.local)
    pull(self, shard, node);
}

void ask_shard(catalog_self self, uint32_t shard, runtime::shard_corpus_request request,
               std::function<void(std::optional<runtime::shard_corpus_reply>)> done) {
  ask<runtime::shard_corpus_reply>(self, shard, std::move(request), std::move(done));
}

void ask_shard(catalog_self self, uint32_t shard, runtime::shard_rank_request request,
               std::function<void(std::optional<runtime::shard_rank_reply>)> done) {
  ask<runtime::shard_rank_reply>(self, shard, std::move(request), std::move(done));
}

void ask_shard(catalog_self self, uint32_t shard, runtime::shard_hits_request request,
               std::function<void(std::optional<runtime::shard_hits_reply>)> done) {
  ask<runtime::shard_hits_reply>(self, shard, std::move(request), std::move(done));
}

caf::result<runtime::shard_corpus_reply> serve(catalog_self self, const runtime::shard_corpus_request& request) {
  return serve_from_shard<runtime::shard_corpus_reply>(self, request);
}

caf::result<runtime::shard_rank_reply> serve(catalog_self self, const runtime::shard_rank_request& request) {
  return serve_from_shard<runtime::shard_rank_reply>(self, request);
}

caf::result<runtime::shard_hits_reply> serve(catalog_self self, const runtime::shard_hits_request& request) {
  return serve_from_shard<runtime::shard_hits_reply>(self, request);
}

runtime::shard_stats_reply local_parts(catalog_self self, const runtime::shard_stats_request& request) {
  const auto& st = self->state;
  runtime::shard_stats_reply reply;
  for (const auto& [id, manifest] : st.manifests) {
    if (shard_of(id, st.placement.shard_count) != request.shard)
      continue;
    if (auto own = runtime::load_tool_stats(*st.setup.db, id))
      reply.stats.push_back({id, me(self), std::move(*own)});
    if (auto copies = runtime::load_tool_stats_copies(*st.setup.db, id))
      for (auto& [origin, stats] : *copies)
        reply.stats.push_back({id, origin, std::move(stats)});
  }
  return reply;
}

void record_own_outcome(catalog_self self, const tool_outcome& outcome) {
  auto& st = self->state;
  auto& db = *st.setup.db;
  auto part = runtime::load_tool_stats(db, outcome.tool);
  if (!part && !runtime::is(part.error(), runtime::runtime_errc::not_found))
    spdlog::error("tool {}: its stored statistics are unreadable; starting again: {}", outcome.tool,
                  runtime::describe(part.error()));
  runtime::tool_stats stats = part ? std::move(*part) : runtime::tool_stats{};
  stats.record(outcome.ok, outcome.latency_ms, outcome.at_ms, st.setup.params.prior);
  if (auto error = runtime::store_tool_stats(db, outcome.tool, stats))
    spdlog::error("tool {}: cannot store its outcome statistics: {}", outcome.tool, runtime::describe(error));
  const auto shard = static_cast<uint32_t>(shard_of(outcome.tool, st.placement.shard_count));
  runtime::shard_outcome message{shard, {outcome.tool, me(self), std::move(stats)}};
  give_parts(self, shard, {message.part});
  for (const auto* node : {&st.placement.owners[shard], &st.placement.runners_up[shard]}) {
    auto front = st.placement.fronts.find(*node);
    if (front != st.placement.fronts.end())
      self->send(front->second, message);
  }
}

void take_remote_part(catalog_self self, const runtime::shard_outcome& outcome) {
  keep_copy(self, outcome.part);
  if (outcome.part.origin != me(self))
    give_parts(self, outcome.shard, {outcome.part});
}

std::vector<caf::actor> local_shards(catalog_self self) {
  std::vector<caf::actor> actors;
  for (const auto& [shard, actor] : placement(self).local)
    actors.push_back(actor);
  return actors;
}

} // namespace drover::actors
