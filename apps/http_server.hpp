#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <caf/expected.hpp>

#include "runtime/node_config.hpp"

namespace httplib {
class Server;
}

namespace drover::apps {

/// One cpp-httplib listener on its own thread: bound explicitly (so a port in use is an error,
/// never a shared port), started, and stopped at once on request.
/// Thread-safety: bind, start and stop from one thread; routes are added before start.
class http_server {
public:
  http_server();
  ~http_server();

  /// Returns the server, to add routes before start.
  httplib::Server& routes() { return *server_; }

  /// Binds `address` (port 0 picks a free port) and returns the port bound; `what` names the
  /// listener in the error, e.g. "the HTTP API".
  caf::expected<uint16_t> bind(const runtime::host_port& address, const std::string& what);

  /// Serves on a background thread until stop.
  void start();

  /// Stops serving and joins the thread; idempotent.
  void stop();

private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> finished_{false}; ///< the serving thread returned
};

} // namespace drover::apps
