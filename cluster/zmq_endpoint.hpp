#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>
#include <zmq.hpp>

#include "cluster/curve_keys.hpp"
#include "cluster/detail/socket_monitor.hpp"
#include "cluster/outbound_connection.hpp"
#include "cluster/transport.hpp"
#include "cluster/transport_metrics.hpp"
#include "cluster/zap_handler.hpp"
#include "observability/metrics.hpp"
#include "runtime/envelope_codec.hpp"
#include "runtime/node_config.hpp"

namespace drover::cluster {

/// The node's ZeroMQ transport: one ROUTER that peers connect to (their requests and one-way
/// messages in, the replies out), one DEALER per peer endpoint this node sends to (requests
/// out, their replies in), and the one I/O thread that owns all of them. Every inbound frame is
/// checked (parts, size, FlatBuffers verifier) before it reaches the handler; a frame that fails
/// is counted in drover_transport_frames_rejected_total and dropped. With keys, CurveZMQ
/// encrypts every connection and a ZAP handler admits only the allow-list (see curve_keys.hpp).
///
/// Memory is bounded: a slow peer costs at most ZeroMQ's high-water mark (1,000 messages each
/// way) plus its connection's queue (10,000 envelopes or 64 MiB); the shared outbox, which holds
/// only what the I/O thread has not picked up yet, at most 100,000 envelopes or 256 MiB. Beyond
/// that envelopes are dropped and counted in drover_transport_sends_dropped_total.
///
/// Thread-safety: `send_to`, `reply`, `disconnect` and `stop` may be called from any thread
/// (`mutex_` guards the outbox and the endpoint slots); `bind` and `start` by the owner, once,
/// in that order. The sockets belong to the caller of `bind` until `start`, then to the I/O
/// thread only.
class zmq_endpoint final : public transport {
public:
  /// Called on the I/O thread with the verified envelopes of one poll (at most
  /// max_inbound_batch), in the order received; must not block.
  using batch_handler = std::function<void(std::vector<inbound_frame> frames)>;
  /// Called on the I/O thread for every change of an outbound connection; must not block.
  using peer_handler = std::function<void(const std::string& endpoint, peer_event event)>;

  /// Borrows `context` and `metrics`, which must outlive the endpoint; frames larger than
  /// `limits.max_bytes` are refused. With `keys`, every socket uses CurveZMQ and the ZAP handler
  /// admits only `keys->authorized` (at most one endpoint with keys per context); without,
  /// plain TCP (see check_insecure_allowed).
  zmq_endpoint(zmq::context_t& context, observability::metrics& metrics,
               runtime::decode_limits limits = {}, std::optional<curve_keys> keys = std::nullopt);
  /// Stops the endpoint.
  ~zmq_endpoint() override;
  zmq_endpoint(const zmq_endpoint&) = delete;
  zmq_endpoint& operator=(const zmq_endpoint&) = delete;

  /// Starts the ZAP handler (with keys) and binds the ROUTER to tcp://`address` (port 0 picks a
  /// free port); returns the endpoint actually bound. Fails with address_in_use or io_error.
  caf::expected<std::string> bind(const runtime::host_port& address);

  /// Starts the I/O thread, which hands the verified envelopes to `on_batch` in batches (one
  /// call per poll and socket, so that a receiver such as the dispatcher takes one message per
  /// batch: at high rates the per-envelope mailbox enqueue and wake-up cost more than the rest
  /// of the receive path) and every change of an outbound connection to `on_peer`.
  void start(batch_handler on_batch, peer_handler on_peer);

  /// The most envelopes handed over in one batch.
  static constexpr size_t max_inbound_batch = 256;

  /// Queues `message` for the node listening at `endpoint` (tcp://HOST:PORT), over this node's
  /// DEALER to it, which is connected on first use; the replies come back to the envelope
  /// handler with inbound_source{"", endpoint}. Thread-safe, never blocks: wakes the I/O thread
  /// only when the outbox was empty.
  void send_to(const std::string& endpoint, const runtime::envelope& message) override;

  /// Queues `message` back over the inbound connection `peer` (a routing id of the ROUTER, as
  /// given in inbound_source::peer). A peer that is gone by then costs a counted drop.
  /// Thread-safe, never blocks.
  void reply(const std::string& peer, const runtime::envelope& message) override;

  /// Closes the DEALER to `endpoint` (a dead member), dropping what it still queued (counted);
  /// a later send_to connects again. Thread-safe, never blocks.
  void disconnect(const std::string& endpoint);

  /// Stops the I/O thread and closes every socket; idempotent. Envelopes still queued are not
  /// sent.
  void stop();

private:
  /// What a caller asks of the I/O thread.
  struct outbox_entry {
    enum class action : uint8_t { send_to, reply, disconnect };
    action what = action::send_to;
    uint32_t slot = 0; ///< send_to, disconnect: the endpoint's slot
    std::string peer;  ///< reply: the routing id
    outbound_payload payload;
  };

  void enqueue(outbox_entry entry, const std::string& endpoint);
  void wake();
  void run();
  void poll_once(std::vector<zmq::pollitem_t>& items);
  void drain_outbox();
  outbound_connection* connection_for(uint32_t slot);
  void send_reply(outbox_entry& entry);
  void receive_inbound();
  void receive_replies(outbound_connection& connection);
  void deliver(inbound_source source, const zmq::message_t& payload);
  void flush_batch();
  void read_listener_events();
  void close_sockets();

  zmq::context_t& context_;
  const runtime::decode_limits limits_;
  const std::optional<curve_keys> keys_;
  transport_metrics metrics_;
  zmq::socket_t router_;
  std::unique_ptr<detail::socket_monitor> router_monitor_;
  std::unique_ptr<zap_handler> zap_;
  const int wakeup_fd_;
  std::atomic<bool> stopping_{false};
  std::thread io_thread_;
  batch_handler on_batch_;
  peer_handler on_peer_;

  // Used by the I/O thread only.
  std::vector<std::unique_ptr<outbound_connection>> connections_; ///< by slot; null when closed
  std::vector<std::string> slot_endpoints_; ///< the I/O thread's copy of `endpoints_`
  std::vector<outbox_entry> draining_;      ///< the outbox being worked through
  kind_tally sent_;
  kind_tally received_;
  std::vector<inbound_frame> batch_; ///< received, not handed over yet (with on_batch_)
  zmq::message_t routing_id_;
  zmq::message_t payload_;
  zmq::message_t extra_part_;
  std::vector<uint64_t> aligned_; ///< an unaligned payload's copy, for the decoder

  std::mutex mutex_;
  std::unordered_map<std::string, uint32_t> slots_; ///< endpoint -> slot; guarded by mutex_
  std::vector<std::string> endpoints_;              ///< slot -> endpoint; guarded by mutex_
  std::vector<outbox_entry> outbox_;                ///< guarded by mutex_
  size_t outbox_bytes_ = 0;                         ///< guarded by mutex_
};

} // namespace drover::cluster
