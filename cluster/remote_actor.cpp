#include "cluster/remote_actor.hpp"

#include <algorithm>
#include <chrono>

#include <caf/sec.hpp>

#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::cluster {

namespace {

using request_timeout_atom = caf::atom_constant<caf::atom("reqtimeout")>;
using self_pointer = caf::stateful_actor<remote_actor_state>*;

/// Makes sure a check for expired requests comes at the deadline of the oldest one. One timer
/// for all, not one per request: each timer set wakes CAF's clock thread, which cost more than
/// the rest of a lease request's path through the proxy.
void schedule_expiry(self_pointer self) {
  auto& st = self->state;
  if (st.expiry_scheduled || st.pending.empty())
    return;
  st.expiry_scheduled = true;
  const auto left = st.pending.begin()->second.deadline - std::chrono::steady_clock::now();
  self->delayed_send(self, std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                                    std::chrono::milliseconds{1}),
                     request_timeout_atom::value);
}

/// Sends `body` to the target; a request leaves a promise that the reply, the timeout or the
/// node's death fulfils. A one-way message makes no promise: its sender must hear nothing back,
/// not even an error when the node dies.
caf::response_promise forward(self_pointer self, runtime::wire_message&& body) {
  auto& st = self->state;
  const bool wants_reply = self->current_message_id().is_request();
  // The addresses are filled in once (remote_actor); only these change per message.
  auto& message = st.outgoing;
  message.message_id = wants_reply ? st.next_message_id++ : 0;
  message.deadline_unix_ms = runtime::unix_now_ms() + st.setup.timeout.count();
  message.message = std::move(body);
  st.setup.out->send_to(st.setup.target.endpoint, message);
  message.message = runtime::ping{}; // the body is encoded: do not keep it
  if (!wants_reply)
    return {};
  auto promise = self->make_response_promise();
  st.pending.emplace(message.message_id,
                     pending_request{promise, std::chrono::steady_clock::now() + st.setup.timeout});
  schedule_expiry(self);
  return promise;
}

/// Returns a behavior with one handler per message kind of the wire (the variant's types).
template <class... Kinds>
caf::behavior wire_handlers(self_pointer self, std::variant<Kinds...>*) {
  return {
    // Taken by reference to move the body out: CAF copies a message first if it is shared.
    [self](Kinds& body) { return forward(self, runtime::wire_message{std::move(body)}); }...,
    [self](const inbound_reply& reply) {
      auto waiting = self->state.pending.find(reply.message.correlation_id);
      if (waiting == self->state.pending.end())
        return; // answered already: timed out, or a duplicate
      auto promise = std::move(waiting->second.promise);
      self->state.pending.erase(waiting);
      std::visit([&](const auto& body) { promise.deliver(caf::make_message(body)); },
                 reply.message.message);
    },
    [self](request_timeout_atom) {
      auto& st = self->state;
      st.expiry_scheduled = false;
      const auto now = std::chrono::steady_clock::now();
      while (!st.pending.empty() && st.pending.begin()->second.deadline <= now) {
        st.pending.begin()->second.promise.deliver(caf::make_error(caf::sec::request_timeout));
        st.pending.erase(st.pending.begin());
      }
      schedule_expiry(self);
    },
    [self](node_down_atom) {
      const auto& target = self->state.setup.target;
      for (auto& [id, waiting] : self->state.pending)
        waiting.promise.deliver(runtime::make_error(runtime::runtime_errc::unavailable,
                                            "node " + target.node_id + " (" + target.endpoint
                                              + ") was declared dead"));
      self->state.pending.clear();
    },
  };
}

} // namespace

caf::behavior remote_actor(caf::stateful_actor<remote_actor_state>* self, proxy_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  st.outgoing.sender = {st.setup.own_node, st.setup.own_name};
  st.outgoing.receiver = {st.setup.target.node_id, st.setup.target.name};
  return wire_handlers(self, static_cast<runtime::wire_message*>(nullptr));
}

} // namespace drover::cluster
