#include "cluster/outbound_connection.hpp"

#include <utility>

#include "cluster/detail/socket_options.hpp"

namespace drover::cluster {

namespace {

// The queue behind ZeroMQ's own (transport_hwm messages): together they bound what a slow or
// stuck peer costs, while absorbing the bursts that a fast sender makes faster than TCP drains.
constexpr size_t max_queued_messages = 10000;
constexpr size_t max_queued_bytes = 64 * 1024 * 1024;

constexpr int watched_events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

zmq::socket_t make_dealer(zmq::context_t& context, const runtime::decode_limits& limits,
                          const curve_keys* keys) {
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  detail::configure_socket(socket, detail::socket_role::connector, limits, keys);
  return socket;
}

} // namespace

outbound_connection::outbound_connection(zmq::context_t& context, std::string endpoint,
                                         const runtime::decode_limits& limits,
                                         const curve_keys* keys, transport_metrics& metrics)
  : endpoint_(std::move(endpoint)),
    metrics_(metrics),
    socket_(make_dealer(context, limits, keys)),
    monitor_(context, socket_, watched_events) {
  // The monitor is attached before connecting so that not even the first handshake is missed.
  socket_.connect(endpoint_);
  metrics_.add_connection(state_, 1);
}

outbound_connection::~outbound_connection() {
  metrics_.dropped(send_drop::peer_gone, queue_.size());
  metrics_.add_connection(state_, -1);
}

void outbound_connection::send(outbound_payload&& payload, kind_tally& sent) {
  // Order is kept: nothing overtakes envelopes that already wait.
  if (queue_.empty() && try_send(payload, sent))
    return;
  if (queue_.size() >= max_queued_messages
      || queued_bytes_ + payload.bytes.size() > max_queued_bytes) {
    metrics_.dropped(send_drop::queue_full);
    return;
  }
  queued_bytes_ += payload.bytes.size();
  queue_.push_back(std::move(payload));
}

void outbound_connection::flush(kind_tally& sent) {
  while (!queue_.empty()) {
    const auto size = queue_.front().bytes.size();
    if (!try_send(queue_.front(), sent))
      return;
    queued_bytes_ -= size;
    queue_.pop_front();
  }
}

bool outbound_connection::try_send(outbound_payload& payload, kind_tally& sent) {
  const auto size = payload.bytes.size();
  // A DEALER's send fails only with EAGAIN (its queue is at the high-water mark): cppzmq
  // returns no value then, and the payload is left intact for a later attempt.
  if (!socket_.send(payload.bytes, zmq::send_flags::dontwait))
    return false;
  sent.add(payload.kind, size);
  return true;
}

void outbound_connection::read_events(const std::function<void(peer_event)>& report) {
  while (auto event = monitor_.next()) {
    switch (event->event) {
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        move_to(connection_state::connected);
        report(peer_event::connected);
        break;
      case ZMQ_EVENT_DISCONNECTED:
        // A failed handshake is followed by a disconnect too: that one is already `refused`.
        if (state_ == connection_state::connected) {
          move_to(connection_state::connecting);
          report(peer_event::disconnected);
        }
        break;
      default: // one of the handshake failures
        if (state_ != connection_state::refused) {
          move_to(connection_state::refused);
          report(peer_event::refused);
        }
        break;
    }
  }
}

void outbound_connection::move_to(connection_state state) {
  metrics_.moved(state_, state);
  state_ = state;
}

} // namespace drover::cluster
