#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <nlohmann/json.hpp>

#include "runtime/tool_search.hpp"

namespace httplib {
class Server;
}

namespace drover::apps {

/// Adds the /v1/tools routes (listed in apps/http_api.hpp) to `routes`; they ask `catalog`
/// (actors/catalog.hpp) through scoped actors of `system`. Both outlive the routes.
void add_tool_routes(httplib::Server& routes, caf::actor_system& system, caf::actor catalog);

/// Returns a hit as the API shows it: the tool, its availability, and every score factor with
/// the one-line explanation.
nlohmann::json to_json(const runtime::search_hit& hit);

} // namespace drover::apps
