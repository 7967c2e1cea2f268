#include "apps/tool_routes.hpp"

#include <caf/scoped_actor.hpp>
#include <httplib.h>

#include "actors/catalog_messages.hpp"
#include "apps/http_json.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

namespace {

constexpr auto catalog_timeout = std::chrono::seconds{30};
/// Probing a large catalog runs a few probes at a time, each up to 30 s.
constexpr auto probe_timeout = std::chrono::seconds{600};
constexpr size_t max_limit = 1000;

/// Parses the query string of GET /v1/tools/search; fails with invalid_argument naming the
/// parameter that is wrong.
caf::expected<runtime::search_request> parse_search(const httplib::Request& request) {
  runtime::search_request query;
  for (const auto& [name, value] : request.params) {
    if (name == "q") {
      query.text = value;
    } else if (name == "lang") {
      query.filters.language = value;
    } else if (name == "capability") {
      query.filters.capability = value;
    } else if (name == "side_effect") {
      if (value == "read-only")
        query.filters.side_effects.push_back(runtime::side_effect_class::read_only);
      else if (value == "writes-files")
        query.filters.side_effects.push_back(runtime::side_effect_class::writes_files);
      else
        return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                   "side_effect: expected read-only or writes-files, got '" + value + "'");
    } else if (name == "available") {
      if (value != "true" && value != "false")
        return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                   "available: expected true or false, got '" + value + "'");
      query.filters.available_only = value == "true";
    } else if (name == "limit") {
      const bool digits = !value.empty() && value.size() <= 4 && value.find_first_not_of("0123456789") == std::string::npos;
      query.limit = digits ? std::stoul(value) : 0;
      if (query.limit < 1 || query.limit > max_limit)
        return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                   "limit: expected a whole number from 1 to " + std::to_string(max_limit)
                                     + ", got '" + value + "'");
    } else {
      return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                 "unknown query parameter '" + name
                                   + "' (known: q, lang, capability, side_effect, available, limit)");
    }
  }
  return query;
}

/// Asks the catalog and answers with `to_body` of its answer of type T.
template <class T, class ToBody, class... Ts>
void ask_catalog(caf::actor_system& system, const caf::actor& catalog, httplib::Response& response,
                 int status, ToBody to_body, std::chrono::seconds timeout, Ts&&... message) {
  caf::scoped_actor self{system};
  self->request(catalog, timeout, std::forward<Ts>(message)...)
    .receive([&](T& answer) { reply_json(response, status, to_body(answer)); },
             [&](const caf::error& error) { reply_error(response, error); });
}

nlohmann::json hits_json(const std::vector<runtime::search_hit>& hits) {
  auto list = nlohmann::json::array();
  for (const auto& hit : hits)
    list.push_back(to_json(hit));
  return list;
}

} // namespace

nlohmann::json to_json(const runtime::search_hit& hit) {
  const auto& tool = *hit.tool;
  const auto& f = hit.factors;
  auto terms = nlohmann::json::array();
  for (const auto& term : f.terms)
    terms.push_back({{"term", term.term}, {"fields", term.fields}, {"idf", term.idf},
                     {"contribution", term.contribution}});
  nlohmann::json availability = nullptr;
  if (hit.availability)
    availability = {{"available", hit.availability->available},
                    {"version", hit.availability->version},
                    {"detail", hit.availability->detail},
                    {"probed_unix_ms", hit.availability->probed_ms}};
  return {{"id", tool.id},
          {"version", tool.version},
          {"description", tool.description},
          {"capabilities", tool.capabilities},
          {"languages", tool.languages},
          {"tags", tool.tags},
          {"file_patterns", tool.file_patterns},
          {"argv", tool.argv},
          {"side_effect", runtime::to_string(tool.side_effect)},
          {"source", tool.source},
          {"availability", availability},
          {"score", f.score},
          {"factors",
           {{"relevance", f.relevance},
            {"terms", terms},
            {"reliability", f.reliability},
            {"successes", f.successes},
            {"failures", f.failures},
            {"invocations", f.invocations},
            {"median_latency_ms", f.median_latency_ms ? nlohmann::json(*f.median_latency_ms) : nlohmann::json(nullptr)},
            {"latency_factor", f.latency_factor}}},
          {"explanation", runtime::explain(hit)}};
}

void add_tool_routes(httplib::Server& routes, caf::actor_system& system, caf::actor catalog) {
  routes.Get("/v1/tools", [&system, catalog](const httplib::Request&, httplib::Response& response) {
    ask_catalog<std::vector<runtime::search_hit>>(system, catalog, response, 200, hits_json,
                                                  catalog_timeout, actors::tools_atom::value);
  });
  routes.Get("/v1/tools/search", [&system, catalog](const httplib::Request& request, httplib::Response& response) {
    auto query = parse_search(request);
    if (!query)
      return reply_error(response, query.error());
    ask_catalog<actors::search_reply>(
      system, catalog, response, 200,
      [](const actors::search_reply& reply) {
        // A shard whose owner did not answer: its tools are missing from this answer.
        return nlohmann::json{{"catalog_size", reply.catalog_size},
                              {"hits", hits_json(reply.hits)},
                              {"degraded", !reply.missing_shards.empty()},
                              {"missing_shards", reply.missing_shards}};
      },
      catalog_timeout, actors::search_atom::value, std::move(*query));
  });
  routes.Post("/v1/tools/probe", [&system, catalog](const httplib::Request& request, httplib::Response& response) {
    // {} probes every tool; {"ids": [...]} those.
    const auto body = nlohmann::json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
    std::vector<std::string> ids;
    if (body.is_discarded() || !body.is_object() || (body.size() == 1 && !body.contains("ids")) || body.size() > 1)
      return reply_error(response, 400, "expected a JSON object with at most \"ids\": a list of tool ids");
    if (body.contains("ids")) {
      if (!body["ids"].is_array())
        return reply_error(response, 400, "'ids': expected a list of tool ids");
      for (const auto& id : body["ids"]) {
        if (!id.is_string())
          return reply_error(response, 400, "'ids': expected strings, got " + id.dump());
        ids.push_back(id.get<std::string>());
      }
    }
    ask_catalog<actors::probe_report>(
      system, catalog, response, 200,
      [](const actors::probe_report& report) {
        auto list = nlohmann::json::array();
        for (const auto& [id, found] : report)
          list.push_back({{"id", id}, {"available", found.available}, {"version", found.version},
                          {"detail", found.detail}});
        return list;
      },
      probe_timeout, actors::probe_atom::value, std::move(ids));
  });
  routes.Get(R"(/v1/tools/([a-z0-9._-]+))", [&system, catalog](const httplib::Request& request,
                                                               httplib::Response& response) {
    ask_catalog<runtime::search_hit>(system, catalog, response, 200,
                                     [](const runtime::search_hit& hit) { return to_json(hit); },
                                     catalog_timeout, actors::show_atom::value, std::string{request.matches[1]});
  });
  routes.Post("/v1/tools", [&system, catalog](const httplib::Request& request, httplib::Response& response) {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return reply_error(response, 400, "the request body is not a JSON object");
    for (const auto& [key, value] : body.items())
      if ((key != "source" && key != "yaml") || !value.is_string())
        return reply_error(response, 400,
                           "'" + key + "': expected only the strings \"source\" and \"yaml\"");
    if (!body.contains("yaml"))
      return reply_error(response, 400, "'yaml': missing (the manifest's YAML text)");
    ask_catalog<std::string>(
      system, catalog, response, 201, [](const std::string& id) { return nlohmann::json{{"id", id}}; },
      catalog_timeout, actors::put_tool_atom::value, body.value("source", std::string{"request"}),
      body["yaml"].get<std::string>());
  });
}

} // namespace drover::apps
