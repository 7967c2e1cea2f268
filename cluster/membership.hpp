#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "cluster/transport.hpp"
#include "observability/metrics.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// A change of an outbound connection, reported by the transport's I/O thread.
struct connection_event {
  std::string endpoint;
  peer_event event;
};

/// What the membership needs to know about its node and the cluster.
struct membership_setup {
  std::string node_id;
  std::string endpoint; ///< the endpoint this node advertises
  uint64_t boot_count = 0;
  uint32_t catalog_shards = 0; ///< announced in member_info: members must agree on it
  std::vector<std::string> seeds; ///< endpoints to join through
  std::chrono::milliseconds heartbeat_interval{250};
  std::chrono::milliseconds suspicion_timeout{2000};
  transport* out = nullptr;                 ///< borrowed; outlives the actor
  observability::metrics* metrics = nullptr; ///< borrowed
  caf::actor dispatcher;                    ///< makes proxies (remote_atom)
  /// Returns how many work items this node's invokers hold now (thread-safe).
  std::function<uint32_t()> items_in_flight;
};

/// One other member as this node sees it.
struct member_entry {
  runtime::member_info info;
  std::chrono::steady_clock::time_point last_heard;
};

struct membership_state {
  membership_setup setup;
  std::map<std::string, member_entry> members; ///< every other node known, by id
  std::set<std::string> unanswered_seeds;      ///< seeds that have not answered a join yet
  std::set<std::string> refused_by; ///< endpoints whose handshake refused this node's keys
  /// Pings waiting for their pong: nonce -> (node id, when sent), for the round-trip time.
  std::map<uint64_t, std::pair<std::string, std::chrono::steady_clock::time_point>> pings;
  std::map<uint64_t, std::string> joins; ///< the newest join request to each unanswered seed: id -> seed
  uint64_t next_nonce = 1;
  uint64_t next_message_id = 1;
  uint64_t ticks = 0;
  std::vector<caf::actor> subscribers;
  static inline const char* name = "drover.membership";
};

/// The node's view of the cluster. Joins through the seeds (join_request, answered with the
/// member list), pings every known member each heartbeat interval and declares a member
/// suspect after half the suspicion timeout without an answer and dead after all of it, or at
/// once when the transport reports its connection dropped; a dead member that answers again
/// (it restarted, or the partition healed) is alive again. Every second it sends the members
/// it sees alive to every alive member, so the list spreads; a node learns of members only
/// from that list and judges their health by its own pings.
/// Answers: ping -> pong; join_request -> member_list; member_list (one-way);
/// runtime::members_atom -> std::vector<member_info>; runtime::subscribe_atom (the sender gets
/// every changed member_info); (runtime::remote_atom, node_id, name) -> caf::actor;
/// connection_event from the transport. Spawn detached: its timing must not depend on how busy
/// the scheduler is.
caf::behavior membership(caf::stateful_actor<membership_state>* self, membership_setup setup);

} // namespace drover::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::cluster::connection_event)
