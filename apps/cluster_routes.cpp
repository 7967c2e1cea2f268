#include "apps/cluster_routes.hpp"

#include <caf/scoped_actor.hpp>
#include <httplib.h>

#include "apps/http_json.hpp"
#include "runtime/cluster_messages.hpp"

namespace drover::apps {

nlohmann::json to_json(const runtime::member_info& member) {
  return {{"node_id", member.node_id},
          {"endpoint", member.endpoint},
          {"state", runtime::to_string(member.state)},
          {"boot_count", member.boot_count},
          {"last_heard_unix_ms", member.last_heard_unix_ms},
          {"items_in_flight", member.items_in_flight}};
}

void add_cluster_routes(httplib::Server& routes, caf::actor_system& system, caf::actor membership) {
  routes.Get("/v1/cluster/members", [&system, membership](const httplib::Request&, httplib::Response& response) {
    caf::scoped_actor self{system};
    self->request(membership, std::chrono::seconds{10}, runtime::members_atom::value)
      .receive(
        [&](const std::vector<runtime::member_info>& members) {
          auto list = nlohmann::json::array();
          for (const auto& member : members)
            list.push_back(to_json(member));
          reply_json(response, 200, list);
        },
        [&](const caf::error& error) { reply_error(response, error); });
  });
}

} // namespace drover::apps
