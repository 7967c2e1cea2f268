#pragma once

#include <caf/atom.hpp>

#include "runtime/wire_messages.hpp"

namespace drover::runtime {

/// Messages between the actors of a node and its cluster layer. `actors/` and `cluster/` do not
/// include each other: an actor holds a `caf::actor` for the node's membership and asks it.

/// Asks the membership for every member it knows -> std::vector<member_info> (this node first).
using members_atom = caf::atom_constant<caf::atom("members")>;

/// Subscribes the sender to membership changes: it receives a `member_info` whenever a member
/// joins, rejoins (a higher boot count) or changes state. Unsubscribed when it quits.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;

/// (remote_atom, node_id, name) -> caf::actor: a handle standing for the actor registered as
/// `name` on node `node_id`; messages sent to it cross the wire, requests time out. Fails for a
/// node the membership does not know.
using remote_atom = caf::atom_constant<caf::atom("remote")>;

/// Names under which a node's actors are reachable from other nodes.
namespace actor_names {
constexpr const char* node = "node";             ///< answers ping and node_hello
constexpr const char* membership = "membership"; ///< answers join_request, takes member_list
constexpr const char* jobs = "jobs";             ///< the job manager: offers, leases, reports
constexpr const char* catalog = "catalog";       ///< the tool catalog front: shard requests, outcomes
} // namespace actor_names

} // namespace drover::runtime
