#pragma once

#include <zmq.hpp>

#include "cluster/curve_keys.hpp"
#include "runtime/envelope_codec.hpp"

namespace drover::cluster::detail {

/// What a socket does in the transport.
enum class socket_role {
  listener,  ///< the one ROUTER peers connect to
  connector, ///< a DEALER to one peer's endpoint
};

/// The ZAP domain (RFC 27) of the transport's listener: the ZAP handler admits nothing else.
constexpr const char* zap_domain = "drover";

/// High-water mark of every transport socket, in messages per connection.
constexpr int transport_hwm = 1000;

/// Sets every option a transport socket of `role` needs (the .cpp says why each is set), and
/// CURVE when `keys` is given (plain TCP otherwise): a listener presents the cluster's server
/// key and has each client checked by the ZAP handler; a connector presents this node's client
/// key and accepts only a server presenting the cluster's key. Call before bind or connect.
void configure_socket(zmq::socket_t& socket, socket_role role, const runtime::decode_limits& limits,
                      const curve_keys* keys);

} // namespace drover::cluster::detail
