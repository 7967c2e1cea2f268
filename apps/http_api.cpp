#include "apps/http_api.hpp"

#include <caf/scoped_actor.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/job_messages.hpp"
#include "apps/cluster_routes.hpp"
#include "apps/http_json.hpp"
#include "apps/tool_routes.hpp"
#include "apps/job_request.hpp"
#include "runtime/error.hpp"
#include "runtime/job_report.hpp"

namespace drover::apps {

namespace {

constexpr size_t max_body_bytes = 1 << 20;
constexpr auto actor_timeout = std::chrono::seconds{30};

/// Asks the job manager and answers with the job record it returns.
template <class... Ts>
void reply_with_job(caf::actor_system& system, const caf::actor& jobs, httplib::Response& response,
                    Ts&&... request) {
  caf::scoped_actor self{system};
  self->request(jobs, actor_timeout, std::forward<Ts>(request)...)
    .receive([&](const runtime::job_record& job) { reply_json(response, 200, runtime::to_json(job)); },
             [&](const caf::error& error) {
               reply_error(response, error);
             });
}

} // namespace

http_api::http_api(caf::actor_system& system, caf::actor jobs, caf::actor catalog, caf::actor membership,
                   const runtime::store& db, std::string api_token)
  : system_(system), jobs_(std::move(jobs)), catalog_(std::move(catalog)),
    membership_(std::move(membership)), db_(db), api_token_(std::move(api_token)),
    server_() {
  auto& routes = server_.routes();
  routes.set_payload_max_length(max_body_bytes);
  routes.Get("/v1/node", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(node_json_, "application/json");
  });
  routes.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  require_token_for_changes();
  add_job_routes();
  add_tool_routes(routes, system_, catalog_);
  add_cluster_routes(routes, system_, membership_);
  routes.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 413)
      return reply_error(response, 413, "request body larger than 1 MiB");
    if (response.body.empty())
      reply_error(response, response.status, "no such endpoint: " + request.method + " " + request.path);
  });
}

void http_api::require_token_for_changes() {
  if (api_token_.empty())
    return;
  server_.routes().set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (request.method == "GET" || request.method == "HEAD")
      return httplib::Server::HandlerResponse::Unhandled;
    const auto given = request.get_header_value("Authorization");
    const auto expected = "Bearer " + api_token_;
    // Compared in time independent of where they differ, so the token cannot be guessed byte by byte.
    unsigned char differ = given.size() != expected.size() ? 1 : 0;
    for (size_t i = 0; i < expected.size(); ++i)
      differ |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
    if (differ == 0)
      return httplib::Server::HandlerResponse::Unhandled;
    response.set_header("WWW-Authenticate", "Bearer");
    reply_error(response, 401,
                given.empty() ? "this request changes state and needs the node's API token "
                                "(Authorization: Bearer TOKEN; the CLI sends api_token)"
                              : "the API token does not match the node's");
    return httplib::Server::HandlerResponse::Handled;
  });
}

void http_api::add_job_routes() {
  auto& routes = server_.routes();
  routes.Post("/v1/jobs", [this](const httplib::Request& request, httplib::Response& response) {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded())
      return reply_error(response, 400, "the request body is not valid JSON");
    auto spec = parse_job_request(body);
    if (!spec)
      return reply_error(response, 400, runtime::describe(spec.error()));
    caf::scoped_actor self{system_};
    self->request(jobs_, actor_timeout, actors::submit_job{std::move(*spec)})
      .receive([&](const std::string& id) { reply_json(response, 201, {{"id", id}}); },
               [&](const caf::error& error) {
                 reply_error(response, error);
               });
  });
  routes.Get("/v1/jobs", [this](const httplib::Request&, httplib::Response& response) {
    auto jobs = runtime::list_jobs(db_);
    if (!jobs)
      return reply_error(response, 500, runtime::describe(jobs.error()));
    auto list = nlohmann::json::array();
    for (const auto& job : *jobs)
      list.push_back(runtime::to_json(job));
    reply_json(response, 200, list);
  });
  routes.Get(R"(/v1/jobs/([A-Za-z0-9_.-]+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 reply_with_job(system_, jobs_, response, actors::status_atom::value,
                                std::string{request.matches[1]});
               });
  routes.Get(R"(/v1/jobs/([A-Za-z0-9_.-]+)/report)",
               [this](const httplib::Request& request, httplib::Response& response) {
                 auto summary = runtime::summarize_job(db_, request.matches[1]);
                 if (!summary)
                   return reply_error(response, status_of(summary.error()),
                                      runtime::is(summary.error(), runtime::runtime_errc::not_found)
                                        ? "no job " + std::string{request.matches[1]}
                                        : runtime::describe(summary.error()));
                 reply_json(response, 200, runtime::to_json(*summary));
               });
  routes.Post(R"(/v1/jobs/([A-Za-z0-9_.-]+)/cancel)",
                [this](const httplib::Request& request, httplib::Response& response) {
                  reply_with_job(system_, jobs_, response, actors::cancel_atom::value,
                                 std::string{request.matches[1]});
                });
}

caf::expected<uint16_t> http_api::bind(const runtime::host_port& address) {
  return server_.bind(address, "the HTTP API");
}

void http_api::start(std::string node_json) {
  node_json_ = std::move(node_json);
  server_.start();
}

void http_api::stop() {
  server_.stop();
}

} // namespace drover::apps
