#pragma once

#include <cstdint>
#include <optional>

#include <zmq.hpp>

namespace drover::cluster::detail {

/// One event of a socket monitor: a ZMQ_EVENT_* code and its value (an errno, a ZAP status or
/// a ZMQ_PROTOCOL_ERROR_* code, depending on the event).
struct monitor_event {
  uint16_t event = 0;
  int32_t value = 0;
};

/// Watches the connection events of one socket through zmq_socket_monitor, over an inproc
/// PAIR socket that the owner polls.
/// Not thread-safe: used by the thread that owns the watched socket, which must outlive this
/// object (declare the monitor after the socket it watches).
class socket_monitor {
public:
  /// Starts reporting `events` (a mask of ZMQ_EVENT_*) of `watched`, over an inproc endpoint
  /// of `context` that is unique in the process.
  socket_monitor(zmq::context_t& context, zmq::socket_t& watched, int events);
  /// Stops the monitor before the watched socket goes.
  ~socket_monitor();
  socket_monitor(const socket_monitor&) = delete;
  socket_monitor& operator=(const socket_monitor&) = delete;

  /// Returns the socket to poll for ZMQ_POLLIN.
  zmq::socket_t& socket() { return pair_; }

  /// Returns the next event without waiting, or nothing when none is queued.
  std::optional<monitor_event> next();

private:
  zmq::socket_t& watched_;
  zmq::socket_t pair_;
};

} // namespace drover::cluster::detail
