#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include <caf/error.hpp>
#include <zmq.hpp>

#include "cluster/transport_metrics.hpp"

namespace drover::cluster {

/// Answers ZeroMQ's authentication requests (ZAP, RFC 27) for the CURVE listeners of one
/// context: admits a client only if it used CURVE, for the transport's ZAP domain, with a public
/// key on the allow-list. Fails closed: a malformed request, another domain or version, or any
/// other mechanism (NULL, PLAIN, GSSAPI) is denied. Every denial is counted and logged through
/// `transport_metrics::auth_refused`.
/// Not thread-safe: after `bind`, only the thread that polls `socket()` (the endpoint's I/O
/// thread) may call `answer_requests`.
class zap_handler {
public:
  /// Makes the handler's REP socket in `context` for the z85 public keys `authorized`. Borrows
  /// `metrics`, which must outlive the handler.
  zap_handler(zmq::context_t& context, const std::vector<std::string>& authorized,
              transport_metrics& metrics);

  /// Binds inproc://zeromq.zap.01. Must succeed before a CURVE listener binds: libzmq admits
  /// every CURVE client of a context that has no ZAP handler. Fails with address_in_use when
  /// the context already has a handler (one endpoint with keys per context).
  caf::error bind();

  /// Returns the socket to poll for ZMQ_POLLIN.
  zmq::socket_t& socket() { return socket_; }

  /// Answers every request waiting on the socket, without blocking.
  void answer_requests();

private:
  void answer(const std::vector<zmq::message_t>& request, bool too_long);

  zmq::socket_t socket_;
  std::unordered_set<std::string> authorized_; ///< binary 32-byte keys
  transport_metrics& metrics_;
};

} // namespace drover::cluster
