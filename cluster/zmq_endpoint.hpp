#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <caf/expected.hpp>
#include <zmq.hpp>

#include "observability/metrics.hpp"
#include "runtime/envelope_codec.hpp"
#include "runtime/node_config.hpp"

namespace drover::cluster {

/// The node's one ZeroMQ ROUTER socket and the I/O thread that owns it.
/// Thread-safety: `send` and `stop` may be called from any thread (`mutex_` guards `outbox_`);
/// the socket is touched by the caller of `bind` until `start`, then only by the I/O thread.
class zmq_endpoint {
public:
  /// Called on the I/O thread for every verified envelope; must not block.
  using envelope_handler = std::function<void(std::string peer, runtime::envelope message)>;

  /// Borrows `context` and `metrics`, which must outlive the endpoint.
  zmq_endpoint(zmq::context_t& context, observability::metrics& metrics,
               runtime::decode_limits limits = {});
  ~zmq_endpoint();
  zmq_endpoint(const zmq_endpoint&) = delete;
  zmq_endpoint& operator=(const zmq_endpoint&) = delete;

  /// Binds the ROUTER socket to tcp://`address` (port 0 picks a free port) and returns the
  /// endpoint actually bound. Fails with address_in_use or io_error.
  caf::expected<std::string> bind(const runtime::host_port& address);

  /// Starts the I/O thread, which hands every verified envelope to `handler`.
  void start(envelope_handler handler);

  /// Queues `message` for the peer whose ZeroMQ routing id is `peer`.
  void send(std::string peer, const runtime::envelope& message);

  /// Stops the I/O thread and closes the socket; idempotent.
  void stop();

private:
  void run();
  void receive_one();
  void flush_outbox();

  zmq::socket_t socket_;
  runtime::decode_limits limits_;
  int wakeup_fd_;
  std::atomic<bool> stopping_{false};
  std::thread io_thread_;
  envelope_handler handler_;

  std::mutex mutex_;
  std::deque<std::pair<std::string, std::vector<uint8_t>>> outbox_;

  observability::counter& received_;
  observability::counter& sent_;
  observability::counter& rejected_malformed_;
  observability::counter& rejected_oversized_;
  observability::counter& rejected_framing_;
  observability::counter& send_dropped_;
};

} // namespace drover::cluster
