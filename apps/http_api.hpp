#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "apps/http_server.hpp"
#include "runtime/node_config.hpp"
#include "runtime/store.hpp"

namespace drover::apps {

/// The node's HTTP JSON API under /v1/, served by cpp-httplib on its own threads:
///   GET  /v1/node                 identity and endpoints
///   GET  /v1/tools                every tool with its availability and outcome statistics
///   GET  /v1/tools/search?q=TEXT&lang=L&capability=C&side_effect=S&available=true&limit=N
///                                 ranked tools with every score factor (apps/tool_routes.hpp)
///   GET  /v1/tools/ID             one tool
///   POST /v1/tools                add a manifest: {"source": NAME, "yaml": TEXT} -> 201
///   POST /v1/tools/probe          probe every tool now
///   POST /v1/jobs                 submit a job (apps/job_request.hpp) -> 201 {"id": ...}
///   GET  /v1/jobs                 every job, newest first
///   GET  /v1/jobs/ID              one job's record: state, counts, outcome paths
///   GET  /v1/jobs/ID/report       the record plus per-tool stats, failures and changes
///   POST /v1/jobs/ID/cancel       cancel a job
///   GET  /v1/cluster/members      every member this node knows (apps/cluster_routes.hpp)
/// Errors are {"error": {"code": HTTP status, "message": ...}}. With an API token, every POST
/// needs it as a bearer token (401 otherwise).
/// Thread-safety: construct, bind, start and stop from one thread; handlers run on the
/// server's threads and reach actors through scoped actors, and the store through its own
/// locking.
class http_api {
public:
  /// Borrows everything; all must outlive the API.
  /// With an `api_token`, every request but GET needs "Authorization: Bearer API_TOKEN" and
  /// gets 401 without it, before any handler runs.
  http_api(caf::actor_system& system, caf::actor jobs, caf::actor catalog, caf::actor membership,
           const runtime::store& db, std::string api_token);

  /// Binds `address` (port 0 picks a free port) and returns the port bound.
  caf::expected<uint16_t> bind(const runtime::host_port& address);

  /// Serves requests on a background thread until `stop`; `node_json` is the body of
  /// GET /v1/node.
  void start(std::string node_json);

  /// Stops serving and joins the thread; idempotent.
  void stop();

private:
  void add_job_routes();
  void require_token_for_changes();

  caf::actor_system& system_;
  caf::actor jobs_;
  caf::actor catalog_;
  caf::actor membership_;
  const runtime::store& db_;
  std::string api_token_;
  std::string node_json_;
  http_server server_;
};

} // namespace drover::apps
