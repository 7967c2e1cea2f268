#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "cluster/remote_actor.hpp"
#include "cluster/transport.hpp"
#include "observability/metrics.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// The verified envelopes that one poll of the I/O thread brought in, in the order received,
/// handed to the dispatcher in one message (one mailbox enqueue per batch, not per frame).
struct inbound_batch {
  std::vector<inbound_frame> frames;
};

/// Registers a local actor with the dispatcher: peers may send it requests and one-way
/// messages as `name`; with `takes_replies`, it also sends requests across the wire itself (not
/// through a proxy), as sender `name`, and takes their replies as inbound_reply.
struct exposed_actor {
  std::string name;
  caf::actor actor;
  bool takes_replies = false;
};

/// What the dispatcher needs: the transport to answer through (borrowed; outlives the actor)
/// and this node's id for reply addresses.
struct dispatcher_context {
  transport* out = nullptr;
  observability::metrics* metrics = nullptr;
  std::string node_id;
  std::chrono::milliseconds request_timeout{std::chrono::seconds{30}};
};

struct dispatcher_state {
  dispatcher_context context;
  std::map<std::string, caf::actor> local_actors;  ///< exposed actors, by name
  std::map<std::string, caf::actor> reply_targets; ///< exposed actors that take replies
  uint64_t next_message_id = 1;
  std::map<std::string, caf::actor> proxies; ///< by the name replies come back to
  std::map<std::string, remote_target> proxy_targets; ///< by the same name
  observability::counter* undeliverable = nullptr;
  static inline const char* name = "drover.dispatcher";
};

/// Routes what peers send: a request to the local actor it names (the reply goes back to the
/// peer as an envelope whose correlation_id is the request's message_id), a one-way message to
/// that actor, and a reply to the proxy (or reply target) that sent the request. Envelopes for
/// unknown actors, past their deadline, or replies nobody waits for are counted and dropped.
/// Takes exposed_actor registrations. Also makes the proxies: (runtime::remote_atom, node_id, endpoint, name) -> caf::actor, one
/// per remote actor; (node_down_atom, node_id) fails the pending requests of that node's
/// proxies. Spawn detached, so that heartbeats are not delayed behind a busy scheduler.
caf::behavior inbound_dispatcher(caf::stateful_actor<dispatcher_state>* self,
                                 dispatcher_context context);

} // namespace drover::cluster

// Only ever sent between actors of one process (the I/O thread and the dispatcher).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::cluster::inbound_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::cluster::exposed_actor)
