#include "cluster/membership.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <spdlog/spdlog.h>

#include "cluster/remote_actor.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::cluster {

namespace {

using namespace std::chrono;
using runtime::member_state;
using self_pointer = caf::stateful_actor<membership_state>*;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// Heartbeat rounds between two gossip rounds and between two join attempts of a seed.
constexpr uint64_t gossip_every_ticks = 4;

class membership_logic {
public:
  explicit membership_logic(self_pointer self) : self_(self), st_(self->state) {}

  void start() {
    for (const auto& seed : st_.setup.seeds)
      if (seed != st_.setup.endpoint)
        st_.unanswered_seeds.insert(seed);
    for (auto state : {member_state::alive, member_state::suspect, member_state::dead})
      gauge(state).set(0);
    tick();
  }

  /// One heartbeat round: join attempts, pings, failure detection and, now and then, gossip.
  void tick() {
    const bool slow_round = st_.ticks++ % gossip_every_ticks == 0;
    if (slow_round)
      for (const auto& seed : st_.unanswered_seeds)
        send(seed, "", runtime::join_request{self_info()}, true);
    const auto now = steady_clock::now();
    for (auto& [id, member] : st_.members) {
      // A dead member is asked less often whether it is back: most of those pings queue up for
      // a peer that is gone.
      if (member.info.state != member_state::dead || slow_round) {
        const auto nonce = st_.next_nonce++;
        st_.pings[nonce] = {id, now};
        send(member.info.endpoint, id, runtime::ping{nonce}, true);
      }
      judge(member, now);
    }
    forget_unanswered_pings(now);
    if (slow_round)
      gossip();
    publish_gauges();
    self_->delayed_send(self_, st_.setup.heartbeat_interval, tick_atom::value);
  }

  runtime::pong on_ping(const runtime::ping& request) const {
    return {request.nonce, st_.setup.node_id, st_.setup.boot_count, in_flight()};
  }

  runtime::member_list on_join(const runtime::join_request& request) {
    spdlog::info("cluster: node {} at {} asks to join", request.joiner.node_id, request.joiner.endpoint);
    learn(request.joiner, true);
    return member_list();
  }

  void on_member_list(const runtime::member_list& list) {
    for (const auto& member : list.members)
      learn(member, false);
  }

  void on_reply(const runtime::envelope& reply) {
    std::visit(
      [&](const auto& body) {
        using body_type = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<body_type, runtime::pong>) {
          on_pong(body);
        } else if constexpr (std::is_same_v<body_type, runtime::member_list>) {
          auto seed = st_.joins.find(reply.correlation_id);
          if (seed != st_.joins.end()) {
            if (st_.unanswered_seeds.erase(seed->second) != 0)
              spdlog::info("cluster: joined through {}", seed->second);
            st_.joins.erase(seed);
          }
          on_member_list(body);
          // The member that answered is alive whatever its list says of it.
          for (const auto& member : body.members)
            if (member.node_id == reply.sender.node)
              learn(member, true);
        }
      },
      reply.message);
  }

  void on_connection(const connection_event& event) {
    if (event.event == peer_event::refused) {
      // Each new attempt is refused again while the keys do not fit: say it once.
      if (st_.refused_by.insert(event.endpoint).second)
        spdlog::warn("cluster: {} refused the connection (keys of another cluster, or this node's "
                     "key not on its authorized_keys?)", event.endpoint);
      return;
    }
    if (event.event == peer_event::connected && st_.refused_by.erase(event.endpoint) != 0)
      spdlog::info("cluster: {} accepts the connection now", event.endpoint);
    if (event.event != peer_event::disconnected)
      return;
    for (auto& [id, member] : st_.members)
      if (member.info.endpoint == event.endpoint && member.info.state != member_state::dead)
        change(member, member_state::dead, "its connection dropped");
  }

  std::vector<runtime::member_info> members() const {
    std::vector<runtime::member_info> all{self_info()};
    for (const auto& [id, member] : st_.members)
      all.push_back(member.info);
    return all;
  }

  void subscribe() {
    auto subscriber = caf::actor_cast<caf::actor>(self_->current_sender());
    if (!subscriber)
      return;
    self_->monitor(subscriber);
    st_.subscribers.push_back(subscriber);
  }

  void on_down(const caf::down_msg& down) {
    auto& all = st_.subscribers;
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const caf::actor& actor) { return actor.address() == down.source; }),
              all.end());
  }

  caf::result<caf::actor> remote(const std::string& node_id, const std::string& name) {
    auto member = st_.members.find(node_id);
    if (member == st_.members.end() || member->second.info.state == member_state::dead)
      return runtime::make_error(runtime::runtime_errc::unavailable,
                                 "node " + node_id + " is not an alive member of the cluster");
    auto promise = self_->make_response_promise();
    promise.delegate(st_.setup.dispatcher, runtime::remote_atom::value, node_id,
                     member->second.info.endpoint, name);
    return promise;
  }

private:
  runtime::member_info self_info() const {
    return {st_.setup.node_id,     st_.setup.endpoint, st_.setup.boot_count,
            member_state::alive,   runtime::unix_now_ms(), in_flight(),
            st_.setup.catalog_shards};
  }

  uint32_t in_flight() const { return st_.setup.items_in_flight ? st_.setup.items_in_flight() : 0; }

  runtime::member_list member_list() const {
    runtime::member_list list;
    for (auto& member : members())
      if (member.state != member_state::dead)
        list.members.push_back(std::move(member));
    return list;
  }

  /// Sends `body` to the membership of the node at `endpoint`; a request's reply comes back as
  /// an inbound_reply addressed to "membership".
  template <class Body>
  void send(const std::string& endpoint, const std::string& node_id, Body body, bool request) {
    runtime::envelope message{{st_.setup.node_id, runtime::actor_names::membership},
                              {node_id, runtime::actor_names::membership},
                              request ? st_.next_message_id++ : 0,
                              0,
                              0,
                              std::move(body)};
    if constexpr (std::is_same_v<Body, runtime::join_request>) {
      // One join waits per seed: a reply to an older one is still merged, but only the newest
      // marks the seed as answered, so this map holds at most one entry per seed.
      for (auto it = st_.joins.begin(); it != st_.joins.end();)
        it = it->second == endpoint ? st_.joins.erase(it) : std::next(it);
      st_.joins[message.message_id] = endpoint;
    }
    st_.setup.out->send_to(endpoint, message);
  }

  void gossip() {
    const auto list = member_list();
    for (const auto& [id, member] : st_.members)
      if (member.info.state == member_state::alive)
        send(member.info.endpoint, id, list, false);
  }

  /// Takes what another node says of `info`. Health is judged by this node's own pings: a
  /// member heard from directly (`heard`) is alive; one only heard of is added if unknown.
  void learn(const runtime::member_info& info, bool heard) {
    if (info.node_id == st_.setup.node_id || info.node_id.empty() || info.endpoint.empty())
      return;
    auto known = st_.members.find(info.node_id);
    if (known == st_.members.end()) {
      member_entry entry{info, steady_clock::now()};
      entry.info.state = member_state::alive;
      entry.info.last_heard_unix_ms = runtime::unix_now_ms();
      auto& added = st_.members.emplace(info.node_id, std::move(entry)).first->second;
      spdlog::info("cluster: member {} at {} joined", info.node_id, info.endpoint);
      notify(added.info);
      return;
    }
    if (!heard)
      return;
    auto& member = known->second;
    const bool moved = member.info.endpoint != info.endpoint;
    member.info.endpoint = info.endpoint;
    member.info.catalog_shards = info.catalog_shards; // a restart may change it
    heard_from(member, info.boot_count, info.items_in_flight, moved);
  }

  void on_pong(const runtime::pong& answer) {
    auto sent = st_.pings.find(answer.nonce);
    if (sent == st_.pings.end())
      return;
    const auto round_trip = steady_clock::now() - sent->second.second;
    st_.pings.erase(sent);
    st_.setup.metrics
      ->make_histogram("drover_cluster_heartbeat_rtt_seconds",
                       "Round-trip time of heartbeat pings to other members.",
                       observability::exponential_buckets(0.0001, 2, 16))
      .observe(duration<double>(round_trip).count());
    auto member = st_.members.find(answer.node_id);
    if (member != st_.members.end())
      heard_from(member->second, answer.boot_count, answer.items_in_flight, false);
  }

  void heard_from(member_entry& member, uint64_t boot_count, uint32_t items_in_flight, bool moved) {
    member.last_heard = steady_clock::now();
    member.info.last_heard_unix_ms = runtime::unix_now_ms();
    member.info.items_in_flight = items_in_flight;
    const bool rebooted = boot_count > member.info.boot_count;
    member.info.boot_count = std::max(member.info.boot_count, boot_count);
    if (member.info.state != member_state::alive)
      change(member, member_state::alive, rebooted ? "it restarted" : "it answers again");
    else if (rebooted || moved)
      change(member, member_state::alive, "it restarted");
  }

  /// Declares `member` suspect or dead when it has been silent too long.
  void judge(member_entry& member, steady_clock::time_point now) {
    const auto silent = now - member.last_heard;
    const auto timeout = st_.setup.suspicion_timeout;
    if (silent >= timeout && member.info.state != member_state::dead)
      change(member, member_state::dead,
             "silent for " + std::to_string(duration_cast<milliseconds>(silent).count()) + " ms");
    else if (silent >= timeout / 2 && member.info.state == member_state::alive)
      change(member, member_state::suspect,
             "silent for " + std::to_string(duration_cast<milliseconds>(silent).count()) + " ms");
  }

  void change(member_entry& member, member_state state, const std::string& why) {
    const auto from = member.info.state;
    member.info.state = state;
    if (state == member_state::dead)
      self_->send(st_.setup.dispatcher, node_down_atom::value, member.info.node_id);
    auto log = state == member_state::alive ? spdlog::level::info : spdlog::level::warn;
    spdlog::log(log, "cluster: member {} at {} is {} (was {}): {}", member.info.node_id,
                member.info.endpoint, runtime::to_string(state), runtime::to_string(from), why);
    st_.setup.metrics
      ->make_counter("drover_cluster_member_transitions_total",
                     "Changes of a member's state as this node sees it, by new state.",
                     {{"state", runtime::to_string(state)}})
      .increment();
    notify(member.info);
    publish_gauges();
  }

  void notify(const runtime::member_info& info) {
    for (const auto& subscriber : st_.subscribers)
      self_->send(subscriber, info);
  }

  /// Drops pings unanswered for longer than the suspicion timeout (their member is judged).
  void forget_unanswered_pings(steady_clock::time_point now) {
    for (auto it = st_.pings.begin(); it != st_.pings.end();)
      it = now - it->second.second > st_.setup.suspicion_timeout ? st_.pings.erase(it) : std::next(it);
  }

  observability::gauge& gauge(member_state state) {
    return st_.setup.metrics->make_gauge("drover_cluster_members",
                                         "Members of the cluster as this node sees them (itself included), by state.",
                                         {{"state", runtime::to_string(state)}});
  }

  void publish_gauges() {
    std::map<member_state, double> counts{{member_state::alive, 1}, {member_state::suspect, 0},
                                          {member_state::dead, 0}};
    for (const auto& [id, member] : st_.members)
      counts[member.info.state] += 1;
    for (const auto& [state, count] : counts)
      gauge(state).set(count);
  }

  self_pointer self_;
  membership_state& st_;
};

} // namespace

caf::behavior membership(caf::stateful_actor<membership_state>* self, membership_setup setup) {
  self->state.setup = std::move(setup);
  self->set_down_handler([self](caf::down_msg& down) { membership_logic{self}.on_down(down); });
  membership_logic{self}.start();
  return {
    [self](tick_atom) { membership_logic{self}.tick(); },
    [self](const runtime::ping& request) { return membership_logic{self}.on_ping(request); },
    [self](const runtime::join_request& request) { return membership_logic{self}.on_join(request); },
    [self](const runtime::member_list& list) { membership_logic{self}.on_member_list(list); },
    [self](const inbound_reply& reply) { membership_logic{self}.on_reply(reply.message); },
    [self](const connection_event& event) { membership_logic{self}.on_connection(event); },
    [self](runtime::members_atom) { return membership_logic{self}.members(); },
    [self](runtime::subscribe_atom) { membership_logic{self}.subscribe(); },
    [self](runtime::remote_atom, const std::string& node_id, const std::string& name) {
      return membership_logic{self}.remote(node_id, name);
    },
  };
}

} // namespace drover::cluster
