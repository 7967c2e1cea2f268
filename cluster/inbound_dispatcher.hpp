#pragma once

#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "cluster/zmq_endpoint.hpp"
#include "observability/metrics.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// One verified envelope from a peer, handed from the I/O thread to the dispatcher.
struct inbound_frame {
  std::string peer; ///< ZeroMQ routing id of the connection it came on
  runtime::envelope message;
};

/// What the dispatcher needs: the endpoint to answer through (borrowed; outlives the actor),
/// the actors that peers may address by name, and this node's id for reply addresses.
struct dispatcher_context {
  zmq_endpoint* endpoint = nullptr;
  observability::metrics* metrics = nullptr;
  std::map<std::string, caf::actor> local_actors;
  std::string node_id;
};

struct dispatcher_state {
  dispatcher_context context;
  uint64_t next_message_id = 1;
  observability::counter* undeliverable = nullptr;
  static inline const char* name = "drover.dispatcher";
};

/// Delivers each inbound envelope to the local actor it names as a typed request and sends the
/// reply back to the peer as an envelope whose correlation_id is the request's message_id.
/// Envelopes for unknown actors, past their deadline, or of kinds that are not requests are
/// counted and dropped.
caf::behavior inbound_dispatcher(caf::stateful_actor<dispatcher_state>* self,
                                 dispatcher_context context);

} // namespace drover::cluster

// Only ever sent between actors of one process (the I/O thread and the dispatcher).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::cluster::inbound_frame)
