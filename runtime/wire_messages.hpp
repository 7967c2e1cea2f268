#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <caf/meta/type_name.hpp>

namespace drover::runtime {

/// Names one actor: the node it lives on and its registered name there.
struct actor_address {
  std::string node;
  std::string name;
};

/// Asks the receiver to answer with a `pong` carrying the same nonce.
struct ping {
  uint64_t nonce = 0;
};

/// Answers a `ping`: who answered and how many times that node has booted.
struct pong {
  uint64_t nonce = 0;
  std::string node_id;
  uint64_t boot_count = 0;
};

/// Introduces a node to a peer.
struct node_hello {
  std::string node_id;
  std::string endpoint;
  std::string version;
};

/// Every message kind an envelope can carry (the FlatBuffers union `Message`).
using wire_message = std::variant<ping, pong, node_hello>;

/// The in-process form of a wire envelope (schemas/envelope.fbs).
struct envelope {
  actor_address sender;
  actor_address receiver;
  uint64_t message_id = 0;
  uint64_t correlation_id = 0;  ///< the message_id this answers, or 0
  int64_t deadline_unix_ms = 0; ///< 0 means no deadline
  wire_message message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("drover.ping"), x.nonce);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong& x) {
  return f(caf::meta::type_name("drover.pong"), x.nonce, x.node_id, x.boot_count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("drover.node_hello"), x.node_id, x.endpoint, x.version);
}

} // namespace drover::runtime
