#pragma once

#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <nlohmann/json.hpp>

#include "runtime/wire_messages.hpp"

namespace httplib {
class Server;
}

namespace drover::apps {

/// Adds GET /v1/cluster/members to `routes`: every member `membership` (cluster/membership.hpp)
/// knows, this node first. Both outlive the routes.
void add_cluster_routes(httplib::Server& routes, caf::actor_system& system, caf::actor membership);

/// Returns a member as the API shows it.
nlohmann::json to_json(const runtime::member_info& member);

} // namespace drover::apps
