#include "cluster/inbound_dispatcher.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "runtime/unix_clock.hpp"

namespace drover::cluster {

namespace {

constexpr auto max_request_time = std::chrono::seconds{10};

/// Sends `request` to `target` and answers the peer with the typed reply `Reply`.
template <class Reply, class Request>
void forward(caf::stateful_actor<dispatcher_state>* self, const caf::actor& target,
             const inbound_frame& frame, const Request& request, std::chrono::milliseconds budget) {
  self->request(target, budget, request)
    .then(
      [self, peer = frame.peer, origin = frame.message](const Reply& reply) {
        runtime::envelope answer{{self->state.context.node_id, origin.receiver.name},
                                 origin.sender,
                                 self->state.next_message_id++,
                                 origin.message_id,
                                 0,
                                 reply};
        self->state.context.endpoint->send(peer, answer);
      },
      [self, name = frame.message.receiver.name](const caf::error& error) {
        self->state.undeliverable->increment();
        spdlog::warn("transport: request to actor '{}' failed: {}", name, caf::to_string(error));
      });
}

} // namespace

caf::behavior inbound_dispatcher(caf::stateful_actor<dispatcher_state>* self,
                                 dispatcher_context context) {
  auto* state = &self->state;
  state->context = std::move(context);
  state->undeliverable = &state->context.metrics->make_counter(
    "drover_transport_undeliverable_total",
    "Verified envelopes that named no local actor, were past their deadline or got no reply.");
  return {
    [self](const inbound_frame& frame) {
      auto* state = &self->state;
      const auto& message = frame.message;
      auto target = state->context.local_actors.find(message.receiver.name);
      auto budget = std::chrono::milliseconds{max_request_time};
      if (message.deadline_unix_ms != 0)
        budget = std::min(budget, std::chrono::milliseconds{message.deadline_unix_ms - runtime::unix_now_ms()});
      if (target == state->context.local_actors.end() || budget.count() <= 0) {
        state->undeliverable->increment();
        return;
      }
      std::visit(
        [&](const auto& body) {
          using body_type = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<body_type, runtime::ping>)
            forward<runtime::pong>(self, target->second, frame, body, budget);
          else if constexpr (std::is_same_v<body_type, runtime::node_hello>)
            forward<runtime::node_hello>(self, target->second, frame, body, budget);
          else
            state->undeliverable->increment(); // a reply with no request waiting for it
        },
        message.message);
    },
  };
}

} // namespace drover::cluster
