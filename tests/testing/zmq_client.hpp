#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "runtime/wire_messages.hpp"

namespace drover::testing {

/// A ZeroMQ DEALER peer for tests: sends raw frames or envelopes to a node and reads replies.
/// Not thread-safe.
class zmq_client {
public:
  /// Connects to `endpoint` (tcp://HOST:PORT).
  explicit zmq_client(const std::string& endpoint);

  /// Sends `parts` as one multipart message, bytes as given.
  void send_raw(const std::vector<std::string>& parts);

  /// Sends `message` encoded as an envelope.
  void send(const runtime::envelope& message);

  /// Returns the next envelope received within `timeout`, or nothing.
  std::optional<runtime::envelope> receive(std::chrono::milliseconds timeout);

  /// Sends a ping to the actor `name` and returns the pong, or nothing within `timeout`.
  std::optional<runtime::pong> ping(const std::string& name, uint64_t nonce,
                                    std::chrono::milliseconds timeout = std::chrono::seconds{5});

private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
  uint64_t next_id_ = 1;
};

} // namespace drover::testing
