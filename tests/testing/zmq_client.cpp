#include "tests/testing/zmq_client.hpp"

#include "runtime/envelope_codec.hpp"

namespace drover::testing {

zmq_client::zmq_client(const std::string& endpoint) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(endpoint);
}

void zmq_client::send_raw(const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i)
    socket_.send(zmq::buffer(parts[i]),
                 i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

void zmq_client::send(const runtime::envelope& message) {
  const auto bytes = runtime::encode(message);
  socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
}

std::optional<runtime::envelope> zmq_client::receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    zmq::poll(items, 1, left);
    if (!(items[0].revents & ZMQ_POLLIN))
      continue;
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait))
      continue;
    auto decoded = runtime::decode(frame.data<uint8_t>(), frame.size());
    if (decoded)
      return std::move(*decoded);
  }
  return std::nullopt;
}

std::optional<runtime::pong> zmq_client::ping(const std::string& name, uint64_t nonce,
                                              std::chrono::milliseconds timeout) {
  const auto id = next_id_++;
  send(runtime::envelope{{"test", "client"}, {"", name}, id, 0, 0, runtime::ping{nonce}});
  auto reply = receive(timeout);
  if (!reply || reply->correlation_id != id || !std::holds_alternative<runtime::pong>(reply->message))
    return std::nullopt;
  return std::get<runtime::pong>(reply->message);
}

} // namespace drover::testing
