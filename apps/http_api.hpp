#pragma once

#include <memory>
#include <string>
#include <thread>

#include <caf/expected.hpp>

#include "runtime/node_config.hpp"

namespace httplib {
class Server;
}

namespace drover::apps {

/// The node's HTTP JSON API under /v1/, served by cpp-httplib on its own threads.
/// Thread-safety: construct, bind, start and stop from one thread; handlers run on the
/// server's threads and only read `node_json_`, which is fixed before start.
class http_api {
public:
  http_api();
  ~http_api();

  /// Binds `address` (port 0 picks a free port) and returns the port bound.
  caf::expected<uint16_t> bind(const runtime::host_port& address);

  /// Serves requests on a background thread until `stop`; `node_json` is the body of
  /// GET /v1/node.
  void start(std::string node_json);

  /// Stops serving and joins the thread; idempotent.
  void stop();

private:
  std::string node_json_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

} // namespace drover::apps
