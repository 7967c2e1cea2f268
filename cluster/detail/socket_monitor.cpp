#include "cluster/detail/socket_monitor.hpp"

#include <atomic>
#include <cstring>
#include <string>

namespace drover::cluster::detail {

namespace {

std::string unique_monitor_endpoint() {
  static std::atomic<uint64_t> next{0};
  return "inproc://drover.monitor." + std::to_string(next++);
}

} // namespace

socket_monitor::socket_monitor(zmq::context_t& context, zmq::socket_t& watched, int events)
  : watched_(watched), pair_(context, zmq::socket_type::pair) {
  const auto endpoint = unique_monitor_endpoint();
  if (zmq_socket_monitor(watched_.handle(), endpoint.c_str(), events) != 0)
    throw zmq::error_t{};
  pair_.set(zmq::sockopt::linger, 0);
  pair_.connect(endpoint);
}

socket_monitor::~socket_monitor() {
  zmq_socket_monitor(watched_.handle(), nullptr, 0);
}

std::optional<monitor_event> socket_monitor::next() {
  // Each event is two frames: 6 bytes (uint16 event, int32 value, host order), then the
  // endpoint of the connection, which is the watched socket's own for a listener and not used.
  zmq::message_t header;
  if (!pair_.recv(header, zmq::recv_flags::dontwait))
    return std::nullopt;
  monitor_event event;
  if (header.size() >= 6) {
    std::memcpy(&event.event, header.data(), sizeof(event.event));
    std::memcpy(&event.value, header.data<uint8_t>() + 2, sizeof(event.value));
  }
  for (bool more = header.more(); more;) {
    zmq::message_t part;
    if (!pair_.recv(part, zmq::recv_flags::dontwait))
      break;
    more = part.more();
  }
  return event;
}

} // namespace drover::cluster::detail
