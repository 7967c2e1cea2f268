#include <cstdio>

#include "apps/commands.hpp"
#include "apps/node_client.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::apps {

namespace {

/// "0.2 s ago", or "never".
std::string ago(int64_t unix_ms) {
  if (unix_ms <= 0)
    return "never";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s ago",
                static_cast<double>(runtime::unix_now_ms() - unix_ms) / 1000.0);
  return text;
}

} // namespace

int run_cluster_members(const std::string& node, bool json, const runtime::config_inputs& inputs) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "drover cluster members: %s\n", message.c_str());
    return exit_usage;
  };
  auto config = runtime::resolve_config(inputs);
  if (!config)
    return fail(runtime::describe(config.error()));
  // Membership is a running node's view: an embedded node would only ever see itself.
  auto url = find_node(node, config->values.data_dir);
  if (!url)
    return fail("no running node found (start one with `drover up`, or pass --node URL or DROVER_NODE)");
  node_client client{*url, config->values.api_token};
  auto members = client.get("/v1/cluster/members");
  if (!members)
    return fail(runtime::describe(members.error()));
  if (json) {
    std::printf("%s\n", members->dump(2).c_str());
    return exit_ok;
  }
  std::printf("%-18s %-30s %-8s %-14s %s\n", "NODE", "ENDPOINT", "STATE", "LAST HEARD", "IN FLIGHT");
  for (const auto& member : *members)
    std::printf("%-18s %-30s %-8s %-14s %u\n", member["node_id"].get<std::string>().c_str(),
                member["endpoint"].get<std::string>().c_str(), member["state"].get<std::string>().c_str(),
                ago(member["last_heard_unix_ms"].get<int64_t>()).c_str(),
                member["items_in_flight"].get<unsigned>());
  return exit_ok;
}

} // namespace drover::apps
