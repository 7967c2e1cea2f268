#include "actors/node_actor.hpp"

#include <spdlog/spdlog.h>

namespace drover::actors {

node_actor::behavior_type
node_actor_behavior(node_actor::stateful_pointer<node_actor_state> self,
                    runtime::node_identity identity, runtime::node_hello hello) {
  self->state.identity = std::move(identity);
  self->state.hello = std::move(hello);
  return {
    [self](const runtime::ping& request) {
      return runtime::pong{request.nonce, self->state.identity.node_id,
                           self->state.identity.boot_count};
    },
    [self](const runtime::node_hello& peer) {
      spdlog::info("hello from node {} at {} (drover {})", peer.node_id, peer.endpoint,
                   peer.version);
      return self->state.hello;
    },
  };
}

} // namespace drover::actors
