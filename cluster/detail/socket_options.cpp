#include "cluster/detail/socket_options.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

namespace drover::cluster::detail {

namespace {

int64_t max_message_size(const runtime::decode_limits& limits) {
  // Twice our own limit: a frame up to that size is read and dropped by the endpoint (counted
  // as oversized, which tells an operator about a peer of another version or configuration);
  // a larger one makes ZeroMQ drop the connection before allocating its declared size.
  const auto doubled = static_cast<uint64_t>(limits.max_bytes) * 2;
  return static_cast<int64_t>(std::min<uint64_t>(doubled, std::numeric_limits<int64_t>::max()));
}

} // namespace

void configure_socket(zmq::socket_t& socket, socket_role role, const runtime::decode_limits& limits,
                      const curve_keys* keys) {
  // Closing a socket (stop, disconnect of a dead member) must not wait for messages that a gone
  // peer will never take.
  socket.set(zmq::sockopt::linger, 0);
  // Bounded queues per connection: a slow or stuck peer costs at most this many messages of
  // ZeroMQ memory in each direction; beyond it sends fail (EAGAIN) and the endpoint's own
  // bounded queue, then a counted drop, take over.
  socket.set(zmq::sockopt::sndhwm, transport_hwm);
  socket.set(zmq::sockopt::rcvhwm, transport_hwm);
  // ZeroMQ allocates a frame from the size its header declares; without a bound a single
  // header could make it allocate gigabytes.
  socket.set(zmq::sockopt::maxmsgsize, max_message_size(limits));
  // The I/O thread serves every peer, so no send may ever block it: a send that cannot be
  // queued fails at once (every send is also made with dontwait).
  socket.set(zmq::sockopt::sndtimeo, 0);
  // ZMTP heartbeats find a connection that died without a FIN/RST (a cable pulled, a host
  // frozen) within seconds instead of the kernel's TCP timeout of minutes: a PING every second,
  // the connection closed when no traffic came back for 3 s, and the peer told (TTL) to close
  // its end after 3 s of silence from us.
  socket.set(zmq::sockopt::heartbeat_ivl, 1000);
  socket.set(zmq::sockopt::heartbeat_timeout, 3000);
  socket.set(zmq::sockopt::heartbeat_ttl, 3000);
  // A connection that does not finish its handshake in 5 s (a port probe, a stalled attacker)
  // is closed instead of holding resources for the default 30 s.
  socket.set(zmq::sockopt::handshake_ivl, 5000);

  if (role == socket_role::listener) {
    // A reply to a routing id that is gone fails with EHOSTUNREACH, which is counted, instead
    // of being dropped silently.
    socket.set(zmq::sockopt::router_mandatory, 1);
    if (keys != nullptr) {
      // The domain our ZAP handler answers for; it refuses requests for any other.
      socket.set(zmq::sockopt::zap_domain, std::string{zap_domain});
      socket.set(zmq::sockopt::curve_server, 1);
      socket.set(zmq::sockopt::curve_secretkey, keys->cluster.secret_key);
    }
    return;
  }
  // A member that restarts is found again quickly: the first retry after 100 ms, backing off
  // to one attempt per second while it stays away.
  socket.set(zmq::sockopt::reconnect_ivl, 100);
  socket.set(zmq::sockopt::reconnect_ivl_max, 1000);
  if (keys != nullptr) {
    socket.set(zmq::sockopt::curve_serverkey, keys->cluster.public_key);
    socket.set(zmq::sockopt::curve_publickey, keys->node.public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys->node.secret_key);
  }
}

} // namespace drover::cluster::detail
