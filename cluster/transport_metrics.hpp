#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "observability/metrics.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::cluster {

/// Why an inbound frame was dropped before it reached any actor (label `reason` of
/// drover_transport_frames_rejected_total).
enum class frame_rejection : uint8_t {
  malformed, ///< the bytes do not verify as an envelope
  oversized, ///< larger than decode_limits::max_bytes
  framing,   ///< a message with the wrong number of parts
  auth,      ///< a connection refused during its handshake (one per refusal)
};

/// Why an outbound envelope was not sent (label `reason` of drover_transport_sends_dropped_total).
enum class send_drop : uint8_t {
  peer_gone,  ///< a reply to a connection that is gone, or a queue closed by disconnect/stop
  queue_full, ///< the bounded queue toward that peer (or the shared outbox) was full
};

/// Why a connection was refused during its handshake (label `reason` of
/// drover_transport_auth_rejected_total).
enum class auth_refusal : uint8_t {
  unknown_key,        ///< a CURVE client key that is not on the allow-list
  mechanism,          ///< a ZAP request for a mechanism other than CURVE (NULL, PLAIN, ...)
  malformed_request,  ///< a ZAP request that does not follow RFC 27
  mechanism_mismatch, ///< security on one side only: a peer without keys, or keys to a keyless node
  cryptographic,      ///< a peer that expects another cluster key
  handshake,          ///< any other failed handshake: not ZMTP, a protocol error, a port probe
};

/// The state of one outbound connection (label `state` of drover_transport_outbound_connections).
enum class connection_state : uint8_t {
  connecting, ///< not connected yet, or reconnecting after the connection dropped
  connected,  ///< the handshake succeeded
  refused,    ///< the handshake failed (wrong keys): closed, the next send opens a new one
};

/// The number of message kinds an envelope can carry.
constexpr size_t message_kind_count = std::variant_size_v<runtime::wire_message>;

/// Returns the fixed label of the wire_message alternative `index` ("ping", "item_report", ...).
const char* message_kind_name(size_t index);

/// Frames and bytes per message kind, counted by one thread and published in one go, so that a
/// batch of a thousand envelopes costs two counter updates per kind rather than two thousand.
/// Not thread-safe.
struct kind_tally {
  std::array<uint64_t, message_kind_count> frames{};
  std::array<uint64_t, message_kind_count> bytes{};

  /// Counts one frame of `size` bytes carrying the message kind `kind`.
  void add(size_t kind, size_t size) {
    ++frames[kind];
    bytes[kind] += size;
  }
};

/// The transport's metrics (bounded labels only) and its log of refused connections.
/// Thread-safety: every method but `auth_refused` is thread-safe (prometheus counters);
/// `auth_refused` keeps its rate limiter unguarded and must be called from the I/O thread only.
class transport_metrics {
public:
  /// Borrows `metrics`, which must outlive this object.
  explicit transport_metrics(observability::metrics& metrics);

  /// Adds `tally` to the counters of frames and bytes sent, then clears it.
  void publish_sent(kind_tally& tally);

  /// Adds `tally` to the counters of frames and bytes received, then clears it.
  void publish_received(kind_tally& tally);

  /// Counts one inbound frame dropped for `reason`.
  void rejected(frame_rejection reason);

  /// Counts `count` outbound envelopes dropped for `reason`.
  void dropped(send_drop reason, size_t count = 1);

  /// Moves one outbound connection from state `from` to state `to` in the gauge.
  void moved(connection_state from, connection_state to);

  /// Adds (`delta` 1) or removes (-1) one outbound connection in state `state`.
  void add_connection(connection_state state, int delta);

  /// Counts a refused connection (also as a rejected frame of reason `auth`) and logs one
  /// warning naming `address` and `key` when either is known. At most a burst of 10 lines, then
  /// one per second, so that a flood of attempts cannot fill the log; the next line logged says
  /// how many were left out.
  void auth_refused(auth_refusal reason, const std::string& address, const std::string& key);

private:
  void publish(kind_tally& tally, std::array<observability::counter*, message_kind_count>& frames,
               std::array<observability::counter*, message_kind_count>& bytes);

  std::array<observability::counter*, message_kind_count> sent_frames_{};
  std::array<observability::counter*, message_kind_count> sent_bytes_{};
  std::array<observability::counter*, message_kind_count> received_frames_{};
  std::array<observability::counter*, message_kind_count> received_bytes_{};
  std::array<observability::counter*, 4> rejected_{};
  std::array<observability::counter*, 2> dropped_{};
  std::array<observability::counter*, 6> auth_rejected_{};
  std::array<observability::gauge*, 3> connections_{};

  // The rate limiter of refusal warnings (a token bucket refilled once per second).
  double log_tokens_ = 10;
  std::chrono::steady_clock::time_point log_refilled_ = std::chrono::steady_clock::now();
  uint64_t log_suppressed_ = 0;
};

} // namespace drover::cluster
