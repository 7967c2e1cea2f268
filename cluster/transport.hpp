#pragma once

#include <string>

#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// Where an inbound envelope came from.
struct inbound_source {
  /// The ZeroMQ routing id of the inbound connection (a request or a one-way message from a
  /// peer's outbound connection); empty for a reply that came back on one of this node's own
  /// outbound connections.
  std::string peer;
  /// For a reply on an outbound connection: the endpoint that connection goes to.
  std::string endpoint;
};

/// One verified envelope from a peer and where it came from.
struct inbound_frame {
  inbound_source source;
  runtime::envelope message;
};

/// A change of an outbound connection to a peer's endpoint.
enum class peer_event {
  connected,    ///< the handshake succeeded
  disconnected, ///< the TCP connection dropped (a dead process shows within milliseconds)
  refused,      ///< the handshake failed (wrong keys, or security on one side only)
};

/// Sends envelopes to other nodes. Implemented by zmq_endpoint; every method is thread-safe
/// and never blocks (a message that cannot be queued is dropped and counted).
class transport {
public:
  virtual ~transport() = default;

  /// Queues `message` for the node listening at `endpoint` (tcp://HOST:PORT).
  virtual void send_to(const std::string& endpoint, const runtime::envelope& message) = 0;

  /// Queues `message` back over the inbound connection `peer` (see inbound_source::peer).
  virtual void reply(const std::string& peer, const runtime::envelope& message) = 0;
};

} // namespace drover::cluster
