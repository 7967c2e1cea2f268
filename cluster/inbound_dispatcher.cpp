#include "cluster/inbound_dispatcher.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::cluster {

namespace {

using self_pointer = caf::stateful_actor<dispatcher_state>*;

/// The kind of reply a request kind gets (its `reply`); `void` for the other kinds.
template <class Kind, class = void>
struct reply_kind {
  using type = void;
};
template <class Kind>
struct reply_kind<Kind, std::void_t<typename Kind::reply>> {
  using type = typename Kind::reply;
};

/// The actor a one-way kind is for; nullptr for kinds that are never sent one-way (requests,
/// and replies, which come back with a correlation_id).
template <class Kind>
const char* one_way_receiver() {
  if constexpr (std::is_same_v<Kind, runtime::member_list>)
    return runtime::actor_names::membership;
  else if constexpr (std::is_same_v<Kind, runtime::job_offer> || std::is_same_v<Kind, runtime::job_withdrawn>)
    return runtime::actor_names::jobs;
  else if constexpr (std::is_same_v<Kind, runtime::shard_outcome>)
    return runtime::actor_names::catalog;
  else
    return nullptr;
}

/// Sends `request` (moved out of `frame`) to `target` and answers the peer with the typed
/// reply. Keeps only the addresses and the id of the request for the reply, not its body.
template <class Reply, class Request>
void forward(self_pointer self, const caf::actor& target, inbound_frame& frame, Request& request,
             std::chrono::milliseconds budget) {
  self->request(target, budget, std::move(request))
    .then(
      [self, peer = std::move(frame.source.peer), to = std::move(frame.message.sender),
       from = frame.message.receiver.name, id = frame.message.message_id](Reply& reply) {
        runtime::envelope answer{{self->state.context.node_id, from}, to, self->state.next_message_id++,
                                 id, 0, std::move(reply)};
        self->state.context.out->reply(peer, answer);
      },
      [self, name = frame.message.receiver.name](const caf::error& error) {
        self->state.undeliverable->increment();
        spdlog::warn("transport: request to actor '{}' failed: {}", name, runtime::describe(error));
      });
}

void route_reply(self_pointer self, inbound_frame& frame) {
  auto& st = self->state;
  const auto& name = frame.message.receiver.name;
  auto proxy = st.proxies.find(name);
  if (proxy != st.proxies.end()) {
    self->send(proxy->second, inbound_reply{std::move(frame.message)});
    return;
  }
  auto target = st.reply_targets.find(name);
  if (target != st.reply_targets.end()) {
    self->send(target->second, inbound_reply{std::move(frame.message)});
    return;
  }
  st.undeliverable->increment();
}

/// Routes a request or one-way message; `now_unix_ms` is the time to check its deadline against.
void route_request(self_pointer self, inbound_frame& frame, int64_t now_unix_ms) {
  auto& st = self->state;
  auto& message = frame.message;
  auto target = st.local_actors.find(message.receiver.name);
  auto budget = st.context.request_timeout;
  if (message.deadline_unix_ms != 0)
    budget = std::min(budget, std::chrono::milliseconds{message.deadline_unix_ms - now_unix_ms});
  if (target == st.local_actors.end() || budget.count() <= 0) {
    st.undeliverable->increment();
    return;
  }
  std::visit(
    [&](auto& body) {
      using kind = std::decay_t<decltype(body)>;
      using reply_type = typename reply_kind<kind>::type;
      if constexpr (!std::is_void_v<reply_type>) {
        if (message.message_id != 0)
          return forward<reply_type>(self, target->second, frame, body, budget);
      } else if (const char* receiver = one_way_receiver<kind>(); receiver != nullptr) {
        // Sent anonymously: a one-way message gets no answer, and no error may come back here.
        if (message.receiver.name == receiver)
          return caf::anon_send(target->second, std::move(body));
      }
      // A reply kind without a request, a request without an id, or a kind for another actor.
      st.undeliverable->increment();
    },
    message.message);
}

void route(self_pointer self, inbound_frame& frame, int64_t now_unix_ms) {
  if (frame.message.correlation_id != 0)
    route_reply(self, frame);
  else
    route_request(self, frame, now_unix_ms);
}

/// Returns the proxy standing for `target`, made on first use (and made again when the node
/// came back at another endpoint).
caf::actor proxy_for(self_pointer self, const remote_target& target) {
  auto& st = self->state;
  const auto name = "proxy/" + target.node_id + "/" + target.name;
  auto known = st.proxies.find(name);
  if (known != st.proxies.end()) {
    if (st.proxy_targets[name].endpoint == target.endpoint)
      return known->second;
    self->send(known->second, node_down_atom::value);
    self->send_exit(known->second, caf::exit_reason::user_shutdown);
  }
  auto proxy = self->spawn<caf::linked>(
    remote_actor, proxy_setup{target, st.context.out, st.context.node_id, name, st.context.request_timeout});
  st.proxies[name] = proxy;
  st.proxy_targets[name] = target;
  return proxy;
}

} // namespace

caf::behavior inbound_dispatcher(caf::stateful_actor<dispatcher_state>* self,
                                 dispatcher_context context) {
  auto* state = &self->state;
  state->context = std::move(context);
  state->undeliverable = &state->context.metrics->make_counter(
    "drover_transport_undeliverable_total",
    "Verified envelopes that named no local actor, were past their deadline or got no reply.");
  // Nothing a peer sends may stop the dispatcher: stray errors and messages are dropped.
  self->set_error_handler([self](caf::error& error) {
    self->state.undeliverable->increment();
    spdlog::debug("transport: dropped an error: {}", runtime::describe(error));
  });
  self->set_default_handler(caf::drop);
  return {
    [self](inbound_batch& batch) {
      // One clock read per batch: a batch is what one poll brought in, a fraction of a
      // millisecond, and the deadlines it checks are in milliseconds.
      const auto now = runtime::unix_now_ms();
      for (auto& frame : batch.frames)
        route(self, frame, now);
    },
    [self](const exposed_actor& exposed) {
      self->state.local_actors[exposed.name] = exposed.actor;
      if (exposed.takes_replies)
        self->state.reply_targets[exposed.name] = exposed.actor;
    },
    [self](runtime::remote_atom, const std::string& node_id, const std::string& endpoint,
           const std::string& name) { return proxy_for(self, {node_id, endpoint, name}); },
    [self](node_down_atom, const std::string& node_id) {
      for (const auto& [name, target] : self->state.proxy_targets)
        if (target.node_id == node_id)
          self->send(self->state.proxies[name], node_down_atom::value);
    },
  };
}

} // namespace drover::cluster
