#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include <zmq.hpp>

#include "cluster/curve_keys.hpp"
#include "cluster/detail/socket_monitor.hpp"
#include "cluster/transport.hpp"
#include "cluster/transport_metrics.hpp"
#include "runtime/envelope_codec.hpp"

namespace drover::cluster {

/// An encoded envelope on its way out, with its message kind for the metrics.
struct outbound_payload {
  zmq::message_t bytes;
  uint8_t kind = 0;
};

/// One outbound DEALER to a peer's endpoint, the socket monitor that reports its handshakes and
/// drops, and the bounded queue of envelopes waiting for room in ZeroMQ's queue toward the peer
/// (at most 10,000 envelopes or 64 MiB; beyond that envelopes are dropped and counted).
/// Not thread-safe: created, used and destroyed by the endpoint's I/O thread only.
class outbound_connection {
public:
  /// Connects a DEALER of `context` to `endpoint`, with CURVE when `keys` is given. Borrows
  /// `keys` and `metrics`, which must outlive the connection.
  outbound_connection(zmq::context_t& context, std::string endpoint,
                      const runtime::decode_limits& limits, const curve_keys* keys,
                      transport_metrics& metrics);
  /// Closes the socket; queued envelopes are counted as dropped (peer_gone).
  ~outbound_connection();
  outbound_connection(const outbound_connection&) = delete;
  outbound_connection& operator=(const outbound_connection&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  /// Returns the DEALER, to poll and to receive the replies of the peer from.
  zmq::socket_t& socket() { return socket_; }

  /// Returns the monitor's socket, to poll for ZMQ_POLLIN before calling `read_events`.
  zmq::socket_t& monitor_socket() { return monitor_.socket(); }

  /// Returns true while envelopes wait in the queue: poll the socket for ZMQ_POLLOUT then, and
  /// call `flush` when it is writable.
  bool has_queued() const { return !queue_.empty(); }

  /// Sends `payload` now, or queues it behind the envelopes already waiting when ZeroMQ's queue
  /// is full, or drops it (counted as queue_full) when the bounded queue is full too. Counts what
  /// went out in `sent`.
  void send(outbound_payload&& payload, kind_tally& sent);

  /// Sends queued envelopes while ZeroMQ takes them; counts them in `sent`.
  void flush(kind_tally& sent);

  /// Reads every queued monitor event and calls `report` for each change of the connection a
  /// peer handler cares about: connected after a handshake, disconnected when an established
  /// connection dropped, refused when a handshake failed (once until the next success).
  void read_events(const std::function<void(peer_event)>& report);

private:
  bool try_send(outbound_payload& payload, kind_tally& sent);
  void move_to(connection_state state);

  std::string endpoint_;
  transport_metrics& metrics_;
  zmq::socket_t socket_;
  detail::socket_monitor monitor_;
  connection_state state_ = connection_state::connecting;
  std::deque<outbound_payload> queue_;
  size_t queued_bytes_ = 0;
};

} // namespace drover::cluster
