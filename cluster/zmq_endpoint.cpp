#include "cluster/zmq_endpoint.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"

namespace drover::cluster {

namespace {

observability::counter& rejected(observability::metrics& metrics, const std::string& reason) {
  return metrics.make_counter("drover_transport_frames_rejected_total",
                              "Inbound frames dropped before reaching any actor, by reason.",
                              {{"reason", reason}});
}

} // namespace

zmq_endpoint::zmq_endpoint(zmq::context_t& context, observability::metrics& metrics,
                           runtime::decode_limits limits)
  : socket_(context, zmq::socket_type::router),
    limits_(limits),
    wakeup_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
    received_(metrics.make_counter("drover_transport_frames_received_total",
                                   "Verified envelopes received from peers.")),
    sent_(metrics.make_counter("drover_transport_frames_sent_total", "Envelopes sent to peers.")),
    rejected_malformed_(rejected(metrics, "malformed")),
    rejected_oversized_(rejected(metrics, "oversized")),
    rejected_framing_(rejected(metrics, "framing")),
    send_dropped_(metrics.make_counter(
      "drover_transport_sends_dropped_total",
      "Envelopes not sent because the peer was gone or its queue was full.")) {
  // A send to a peer that is gone fails with EHOSTUNREACH instead of vanishing silently.
  socket_.set(zmq::sockopt::router_mandatory, 1);
  // Bounded queues per peer: a slow peer costs at most this many messages of memory.
  socket_.set(zmq::sockopt::sndhwm, 1000);
  socket_.set(zmq::sockopt::rcvhwm, 1000);
  // ZeroMQ drops the connection of a peer that sends a message larger than we would accept,
  // before buffering it.
  socket_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(limits_.max_bytes));
  // Heartbeats notice a silently dead TCP connection within seconds rather than minutes.
  socket_.set(zmq::sockopt::heartbeat_ivl, 1000);
  socket_.set(zmq::sockopt::heartbeat_timeout, 3000);
  // The I/O thread must never block on one peer: a full queue drops the message (counted).
  socket_.set(zmq::sockopt::sndtimeo, 0);
  // Closing must not wait for unsent messages to peers that may be gone.
  socket_.set(zmq::sockopt::linger, 0);
}

zmq_endpoint::~zmq_endpoint() {
  stop();
  close(wakeup_fd_);
}

caf::expected<std::string> zmq_endpoint::bind(const runtime::host_port& address) {
  const auto port = address.port == 0 ? std::string{"*"} : std::to_string(address.port);
  const auto endpoint = "tcp://" + address.host + ":" + port;
  try {
    socket_.bind(endpoint);
  } catch (const zmq::error_t& error) {
    const auto code = error.num() == EADDRINUSE ? runtime::runtime_errc::address_in_use
                                                : runtime::runtime_errc::io_error;
    return runtime::make_error(code, "cannot listen on " + endpoint + ": " + error.what());
  }
  return socket_.get(zmq::sockopt::last_endpoint);
}

void zmq_endpoint::start(envelope_handler handler) {
  handler_ = std::move(handler);
  io_thread_ = std::thread{[this] { run(); }};
}

void zmq_endpoint::send(std::string peer, const runtime::envelope& message) {
  {
    std::lock_guard guard{mutex_};
    outbox_.emplace_back(std::move(peer), runtime::encode(message));
  }
  const uint64_t one = 1;
  // A full eventfd counter still wakes the I/O thread, so a failed write loses nothing.
  [[maybe_unused]] auto written = write(wakeup_fd_, &one, sizeof(one));
}

void zmq_endpoint::stop() {
  if (stopping_.exchange(true))
    return;
  const uint64_t one = 1;
  [[maybe_unused]] auto written = write(wakeup_fd_, &one, sizeof(one));
  if (io_thread_.joinable())
    io_thread_.join();
  socket_.close();
}

void zmq_endpoint::run() {
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, wakeup_fd_, ZMQ_POLLIN, 0}};
  while (!stopping_) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds{-1});
      if (items[1].revents & ZMQ_POLLIN) {
        uint64_t count = 0;
        [[maybe_unused]] auto drained = read(wakeup_fd_, &count, sizeof(count));
        flush_outbox();
      }
      if (items[0].revents & ZMQ_POLLIN)
        // Bounded batch per wake-up so that sends are not starved by a flood of input.
        for (int i = 0; i < 256 && (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN); ++i)
          receive_one();
    } catch (const zmq::error_t& error) {
      if (error.num() == ETERM)
        return;
      spdlog::error("transport: {}", error.what());
    }
  }
}

void zmq_endpoint::receive_one() {
  std::vector<zmq::message_t> parts;
  zmq::message_t part;
  do {
    if (!socket_.recv(part, zmq::recv_flags::dontwait))
      return;
    parts.push_back(std::move(part));
  } while (parts.back().more());
  // A DEALER peer's frame arrives as [routing id, payload]; anything else is not ours.
  if (parts.size() != 2) {
    rejected_framing_.increment();
    return;
  }
  const auto& payload = parts[1];
  if (payload.size() > limits_.max_bytes) {
    rejected_oversized_.increment();
    return;
  }
  auto message = runtime::decode(payload.data<uint8_t>(), payload.size(), limits_);
  if (!message) {
    rejected_malformed_.increment();
    spdlog::debug("transport: dropped a frame: {}", runtime::describe(message.error()));
    return;
  }
  received_.increment();
  handler_(parts[0].to_string(), std::move(*message));
}

void zmq_endpoint::flush_outbox() {
  std::deque<std::pair<std::string, std::vector<uint8_t>>> pending;
  {
    std::lock_guard guard{mutex_};
    pending.swap(outbox_);
  }
  for (auto& [peer, bytes] : pending) {
    try {
      if (socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait)
          && socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
        sent_.increment();
        continue;
      }
    } catch (const zmq::error_t& error) {
      spdlog::debug("transport: send to a peer failed: {}", error.what());
    }
    send_dropped_.increment();
  }
}

} // namespace drover::cluster
