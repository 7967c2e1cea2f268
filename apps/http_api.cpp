#include "apps/http_api.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

namespace drover::apps {

http_api::http_api() : server_(std::make_unique<httplib::Server>()) {
  // cpp-httplib's default options add SO_REUSEPORT, which would let a second node silently
  // share (and steal requests from) a port that is already in use.
  server_->set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->Get("/v1/node", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(node_json_, "application/json");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_->set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    const nlohmann::json body{
      {"error", {{"code", response.status}, {"message", "no such endpoint: " + request.path}}}};
    response.set_content(body.dump(), "application/json");
  });
}

http_api::~http_api() {
  stop();
}

caf::expected<uint16_t> http_api::bind(const runtime::host_port& address) {
  const auto port = address.port == 0 ? server_->bind_to_any_port(address.host)
                                      : (server_->bind_to_port(address.host, address.port)
                                           ? static_cast<int>(address.port)
                                           : -1);
  if (port < 0)
    return runtime::make_error(runtime::runtime_errc::address_in_use,
                               "cannot serve the HTTP API on " + address.to_string()
                                 + ": the address is in use or not available");
  return static_cast<uint16_t>(port);
}

void http_api::start(std::string node_json) {
  node_json_ = std::move(node_json);
  thread_ = std::thread{[this] { server_->listen_after_bind(); }};
}

void http_api::stop() {
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace drover::apps
