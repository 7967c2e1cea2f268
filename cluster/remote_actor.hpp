#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "cluster/transport.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// A reply envelope that came back for a request a local actor sent across the wire.
struct inbound_reply {
  runtime::envelope message;
};

/// Tells a proxy that its node was declared dead: pending requests fail now, not at timeout.
using node_down_atom = caf::atom_constant<caf::atom("nodedown")>;

/// The actor a proxy stands for, and how to reach it.
struct remote_target {
  std::string node_id;
  std::string endpoint; ///< the node's ZeroMQ endpoint
  std::string name;     ///< the actor's registered name on that node
};

/// What a proxy needs besides its target: the transport (borrowed; outlives the proxy), this
/// node's id and the name replies come back to, and how long a request may wait.
struct proxy_setup {
  remote_target target;
  transport* out = nullptr;
  std::string own_node;
  std::string own_name;
  std::chrono::milliseconds timeout{std::chrono::seconds{30}};
};

/// A request sent across the wire, waiting for its reply.
struct pending_request {
  caf::response_promise promise;
  std::chrono::steady_clock::time_point deadline;
};

struct remote_actor_state {
  proxy_setup setup;
  uint64_t next_message_id = 1;
  runtime::envelope outgoing; ///< every envelope it sends: the addresses are filled in once
  /// Requests waiting for a reply, by id: as every request gets the same timeout, also by
  /// deadline.
  std::map<uint64_t, pending_request> pending;
  bool expiry_scheduled = false; ///< a check for expired requests is on its way
  static inline const char* name = "drover.remote_actor";
};

/// Stands for an actor on another node: takes every message kind of runtime::wire_message,
/// encodes it into an envelope and sends it. A request (sent with `request`) is answered with
/// the reply's body when the reply envelope comes back as an inbound_reply, or with
/// sec::request_timeout after `setup.timeout`, or with an error when the node is declared
/// dead; a one-way message (sent with `send`) gets no answer. Actors use the handle exactly as
/// they would use a local actor that takes the same messages.
caf::behavior remote_actor(caf::stateful_actor<remote_actor_state>* self, proxy_setup setup);

} // namespace drover::cluster

// Only ever sent between actors of one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::cluster::inbound_reply)
