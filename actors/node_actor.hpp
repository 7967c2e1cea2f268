#pragma once

#include <string>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/node_identity.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::actors {

/// Answers questions about the node itself: liveness (ping) and identity (hello).
using node_actor = caf::typed_actor<
  caf::replies_to<runtime::ping>::with<runtime::pong>,
  caf::replies_to<runtime::node_hello>::with<runtime::node_hello>>;

struct node_actor_state {
  runtime::node_identity identity;
  runtime::node_hello hello; ///< what this node says about itself
  static inline const char* name = "drover.node";
};

/// Spawn with `system.spawn(node_actor_behavior, identity, hello)`.
node_actor::behavior_type
node_actor_behavior(node_actor::stateful_pointer<node_actor_state> self,
                    runtime::node_identity identity, runtime::node_hello hello);

} // namespace drover::actors
