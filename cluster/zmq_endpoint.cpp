#include "cluster/zmq_endpoint.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "cluster/detail/socket_options.hpp"
#include "runtime/error.hpp"

namespace drover::cluster {

namespace {

// What the shared outbox holds at most (see the class comment).
constexpr size_t max_outbox_entries = 100000;
constexpr size_t max_outbox_bytes = 256 * 1024 * 1024;
// Frames read from one socket per poll, so that one busy peer cannot starve the others or the
// outbox.
constexpr int receive_batch = 1024;
// Envelopes up to this size are copied into their ZeroMQ frame (one allocation, as moving the
// buffer would cost one for its new owner too); larger ones are handed over without a copy.
constexpr size_t zero_copy_from = 4096;

constexpr int listener_events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;

zmq::message_t to_frame(std::vector<uint8_t>&& bytes) {
  if (bytes.size() < zero_copy_from)
    return zmq::message_t{bytes.data(), bytes.size()};
  auto owned = std::make_unique<std::vector<uint8_t>>(std::move(bytes));
  zmq::message_t frame{owned->data(), owned->size(),
                       [](void*, void* hint) { delete static_cast<std::vector<uint8_t>*>(hint); },
                       owned.get()};
  owned.release(); // ZeroMQ frees it through the function above once the frame is sent
  return frame;
}

outbound_payload encode_payload(const runtime::envelope& message) {
  return {to_frame(runtime::encode(message)), static_cast<uint8_t>(message.message.index())};
}

auth_refusal refusal_of_protocol_error(int32_t code) {
  switch (code) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: return auth_refusal::mechanism_mismatch;
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: return auth_refusal::cryptographic;
    default: return auth_refusal::handshake;
  }
}

/// Receives one whole message from `socket` without waiting: its first parts into `first`
/// (as many as there are), the rest discarded into `extra`. Returns the number of parts, 0 when
/// no message was waiting.
size_t receive_message(zmq::socket_t& socket, std::initializer_list<zmq::message_t*> first,
                       zmq::message_t& extra) {
  size_t parts = 0;
  bool more = true;
  for (auto* part : first) {
    if (!more || !socket.recv(*part, zmq::recv_flags::dontwait))
      return parts;
    ++parts;
    more = part->more();
  }
  // The parts of one message arrive together, so the rest is there.
  while (more && socket.recv(extra, zmq::recv_flags::dontwait)) {
    ++parts;
    more = extra.more();
  }
  return parts;
}

} // namespace

zmq_endpoint::zmq_endpoint(zmq::context_t& context, observability::metrics& metrics,
                           runtime::decode_limits limits, std::optional<curve_keys> keys)
  : context_(context),
    limits_(limits),
    keys_(std::move(keys)),
    metrics_(metrics),
    router_(context, zmq::socket_type::router),
    wakeup_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  detail::configure_socket(router_, detail::socket_role::listener, limits_,
                           keys_ ? &*keys_ : nullptr);
  router_monitor_ = std::make_unique<detail::socket_monitor>(context_, router_, listener_events);
  if (keys_)
    zap_ = std::make_unique<zap_handler>(context_, keys_->authorized, metrics_);
}

zmq_endpoint::~zmq_endpoint() {
  stop();
  close(wakeup_fd_);
}

caf::expected<std::string> zmq_endpoint::bind(const runtime::host_port& address) {
  if (zap_)
    if (auto error = zap_->bind())
      return error;
  const auto port = address.port == 0 ? std::string{"*"} : std::to_string(address.port);
  const auto endpoint = "tcp://" + address.host + ":" + port;
  try {
    router_.bind(endpoint);
  } catch (const zmq::error_t& error) {
    const auto code = error.num() == EADDRINUSE ? runtime::runtime_errc::address_in_use
                                                : runtime::runtime_errc::io_error;
    return runtime::make_error(code, "cannot listen on " + endpoint + ": " + error.what());
  }
  return router_.get(zmq::sockopt::last_endpoint);
}

void zmq_endpoint::start(batch_handler on_batch, peer_handler on_peer) {
  on_batch_ = std::move(on_batch);
  on_peer_ = std::move(on_peer);
  batch_.reserve(max_inbound_batch);
  io_thread_ = std::thread{[this] { run(); }};
}

void zmq_endpoint::send_to(const std::string& endpoint, const runtime::envelope& message) {
  enqueue({outbox_entry::action::send_to, 0, {}, encode_payload(message)}, endpoint);
}

void zmq_endpoint::reply(const std::string& peer, const runtime::envelope& message) {
  enqueue({outbox_entry::action::reply, 0, peer, encode_payload(message)}, {});
}

void zmq_endpoint::disconnect(const std::string& endpoint) {
  enqueue({outbox_entry::action::disconnect, 0, {}, {}}, endpoint);
}

void zmq_endpoint::enqueue(outbox_entry entry, const std::string& endpoint) {
  const auto size = entry.payload.bytes.size();
  bool was_empty = false;
  {
    std::lock_guard guard{mutex_};
    if (entry.what != outbox_entry::action::disconnect
        && (outbox_.size() >= max_outbox_entries || outbox_bytes_ + size > max_outbox_bytes)) {
      metrics_.dropped(send_drop::queue_full);
      return;
    }
    if (entry.what != outbox_entry::action::reply) {
      const auto [slot, added] = slots_.try_emplace(endpoint, static_cast<uint32_t>(endpoints_.size()));
      if (added)
        endpoints_.push_back(endpoint);
      entry.slot = slot->second;
    }
    was_empty = outbox_.empty();
    outbox_bytes_ += size;
    outbox_.push_back(std::move(entry));
  }
  // Only the first envelope of a batch costs a syscall: the I/O thread takes the whole outbox
  // at once, so until it has, a non-empty outbox means a wake-up is already on its way.
  if (was_empty)
    wake();
}

void zmq_endpoint::wake() {
  const uint64_t one = 1;
  // A full eventfd counter still wakes the I/O thread, so a failed write loses nothing.
  [[maybe_unused]] auto written = write(wakeup_fd_, &one, sizeof(one));
}

void zmq_endpoint::stop() {
  if (stopping_.exchange(true))
    return;
  wake();
  if (io_thread_.joinable())
    io_thread_.join();
  else
    close_sockets();
}

void zmq_endpoint::run() {
  std::vector<zmq::pollitem_t> items;
  while (!stopping_) {
    try {
      poll_once(items);
    } catch (const zmq::error_t& error) {
      if (error.num() == ETERM)
        break;
      spdlog::error("transport: {}", error.what());
    }
  }
  close_sockets();
}

void zmq_endpoint::poll_once(std::vector<zmq::pollitem_t>& items) {
  items.clear();
  items.push_back({nullptr, wakeup_fd_, ZMQ_POLLIN, 0});
  items.push_back({router_.handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({router_monitor_->socket().handle(), 0, ZMQ_POLLIN, 0});
  if (zap_)
    items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
  for (auto& connection : connections_) {
    if (!connection)
      continue;
    const auto events = static_cast<short>(ZMQ_POLLIN | (connection->has_queued() ? ZMQ_POLLOUT : 0));
    items.push_back({connection->socket().handle(), 0, events, 0});
    items.push_back({connection->monitor_socket().handle(), 0, ZMQ_POLLIN, 0});
  }
  flush_batch(); // what an exception may have left behind: poll could wait long
  zmq::poll(items, std::chrono::milliseconds{-1});

  auto item = items.begin() + 1;
  if ((item++)->revents & ZMQ_POLLIN)
    receive_inbound();
  if ((item++)->revents & ZMQ_POLLIN)
    read_listener_events();
  if (zap_ && ((item++)->revents & ZMQ_POLLIN))
    zap_->answer_requests();
  std::vector<size_t> refused;
  for (size_t slot = 0; slot < connections_.size(); ++slot) {
    auto& connection = connections_[slot];
    if (!connection)
      continue;
    const auto socket_events = (item++)->revents;
    if (socket_events & ZMQ_POLLOUT)
      connection->flush(sent_);
    if (socket_events & ZMQ_POLLIN)
      receive_replies(*connection);
    if ((item++)->revents & ZMQ_POLLIN)
      connection->read_events([this, &connection, &refused, slot](peer_event event) {
        if (event == peer_event::refused)
          refused.push_back(slot);
        if (on_peer_)
          on_peer_(connection->endpoint(), event);
      });
  }
  // ZeroMQ does not reconnect after a failed handshake: the connection is closed, and the next
  // send_to opens a new one, so a peer admitted later (its key added, a member restarted with
  // another allow-list) is reached.
  for (auto slot : refused)
    connections_[slot].reset();
  // Last, because it may open and close connections, which changes the poll items.
  if (items.front().revents & ZMQ_POLLIN) {
    uint64_t count = 0;
    [[maybe_unused]] auto drained = read(wakeup_fd_, &count, sizeof(count));
    drain_outbox();
  }
  metrics_.publish_sent(sent_);
  metrics_.publish_received(received_);
}

void zmq_endpoint::drain_outbox() {
  {
    std::lock_guard guard{mutex_};
    draining_.swap(outbox_);
    outbox_bytes_ = 0;
    slot_endpoints_.insert(slot_endpoints_.end(), endpoints_.begin() + slot_endpoints_.size(),
                           endpoints_.end());
  }
  for (auto& entry : draining_) {
    switch (entry.what) {
      case outbox_entry::action::send_to:
        if (auto* connection = connection_for(entry.slot))
          connection->send(std::move(entry.payload), sent_);
        break;
      case outbox_entry::action::reply:
        send_reply(entry);
        break;
      case outbox_entry::action::disconnect:
        if (entry.slot < connections_.size())
          connections_[entry.slot].reset();
        break;
    }
  }
  // Keeps the capacity: the next swap hands this buffer to the callers again.
  draining_.clear();
}

outbound_connection* zmq_endpoint::connection_for(uint32_t slot) {
  if (connections_.size() <= slot)
    connections_.resize(slot + 1);
  auto& connection = connections_[slot];
  if (!connection) {
    try {
      connection = std::make_unique<outbound_connection>(context_, slot_endpoints_[slot], limits_,
                                                         keys_ ? &*keys_ : nullptr, metrics_);
    } catch (const zmq::error_t& error) {
      spdlog::warn("transport: cannot connect to {}: {}", slot_endpoints_[slot], error.what());
      metrics_.dropped(send_drop::peer_gone);
      return nullptr;
    }
  }
  return connection.get();
}

void zmq_endpoint::send_reply(outbox_entry& entry) {
  const auto size = entry.payload.bytes.size();
  try {
    // EAGAIN (no value) when that peer's queue is full; the payload cannot fail once the
    // routing id went through.
    if (router_.send(zmq::buffer(entry.peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait)
        && router_.send(entry.payload.bytes, zmq::send_flags::dontwait)) {
      sent_.add(entry.payload.kind, size);
      return;
    }
    metrics_.dropped(send_drop::queue_full);
  } catch (const zmq::error_t& error) {
    // EHOSTUNREACH from ZMQ_ROUTER_MANDATORY: the peer's connection is gone.
    spdlog::debug("transport: reply not sent: {}", error.what());
    metrics_.dropped(send_drop::peer_gone);
  }
}

void zmq_endpoint::receive_inbound() {
  for (int i = 0; i < receive_batch; ++i) {
    const auto parts = receive_message(router_, {&routing_id_, &payload_}, extra_part_);
    if (parts == 0)
      break;
    // A peer's DEALER sends one part, which arrives as [routing id, payload].
    if (parts != 2) {
      metrics_.rejected(frame_rejection::framing);
      continue;
    }
    deliver({routing_id_.to_string(), {}}, payload_);
  }
  flush_batch();
}

void zmq_endpoint::receive_replies(outbound_connection& connection) {
  for (int i = 0; i < receive_batch; ++i) {
    const auto parts = receive_message(connection.socket(), {&payload_}, extra_part_);
    if (parts == 0)
      break;
    if (parts != 1) {
      metrics_.rejected(frame_rejection::framing);
      continue;
    }
    deliver({{}, connection.endpoint()}, payload_);
  }
  flush_batch();
}

void zmq_endpoint::deliver(inbound_source source, const zmq::message_t& payload) {
  if (payload.size() > limits_.max_bytes) {
    metrics_.rejected(frame_rejection::oversized);
    return;
  }
  // FlatBuffers reads its scalars in place: a payload that ZeroMQ left unaligned in its
  // receive buffer is copied into one that is, reused from frame to frame (the decoder would
  // allocate a copy of its own for each).
  const auto* data = payload.data<uint8_t>();
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    aligned_.resize(payload.size() / sizeof(uint64_t) + 1);
    std::memcpy(aligned_.data(), data, payload.size());
    data = reinterpret_cast<const uint8_t*>(aligned_.data());
  }
  auto message = runtime::decode(data, payload.size(), limits_);
  if (!message) {
    metrics_.rejected(frame_rejection::malformed);
    spdlog::debug("transport: dropped a frame: {}", runtime::describe(message.error()));
    return;
  }
  received_.add(message->message.index(), payload.size());
  batch_.push_back({std::move(source), std::move(*message)});
  if (batch_.size() == max_inbound_batch)
    flush_batch();
}

void zmq_endpoint::flush_batch() {
  if (batch_.empty())
    return;
  on_batch_(std::move(batch_));
  batch_.clear(); // moved from: valid, now certainly empty
  batch_.reserve(max_inbound_batch);
}

void zmq_endpoint::read_listener_events() {
  // Handshakes that failed before the ZAP handler was asked (the handler counts its own
  // refusals, which the monitor reports as ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, not watched here).
  // The monitor names our own endpoint, not the peer's, so the address is left unknown.
  while (auto event = router_monitor_->next())
    metrics_.auth_refused(event->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            ? refusal_of_protocol_error(event->value)
                            : auth_refusal::handshake,
                          "", "");
}

void zmq_endpoint::close_sockets() {
  connections_.clear();
  router_monitor_.reset(); // before the socket it watches
  router_.close();
  zap_.reset();
}

} // namespace drover::cluster
