#include "apps/http_server.hpp"

#include <chrono>

#include <httplib.h>

#include "runtime/error.hpp"

namespace drover::apps {

http_server::http_server() : server_(std::make_unique<httplib::Server>()) {
  // cpp-httplib's default options add SO_REUSEPORT, which would let a second node silently
  // share (and steal requests from) a port that is already in use.
  server_->set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

http_server::~http_server() {
  stop();
}

caf::expected<uint16_t> http_server::bind(const runtime::host_port& address, const std::string& what) {
  const auto port = address.port == 0 ? server_->bind_to_any_port(address.host)
                                      : (server_->bind_to_port(address.host, address.port)
                                           ? static_cast<int>(address.port)
                                           : -1);
  if (port < 0)
    return runtime::make_error(runtime::runtime_errc::address_in_use,
                               "cannot serve " + what + " on " + address.to_string()
                                 + ": the address is in use or not available");
  return static_cast<uint16_t>(port);
}

void http_server::start() {
  thread_ = std::thread{[this] {
    server_->listen_after_bind();
    finished_ = true;
  }};
  // cpp-httplib's stop() does nothing until the server runs: a stop right after start would
  // leave the thread in accept() forever. Return only once it runs (or gave up).
  while (!server_->is_running() && !finished_)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
}

void http_server::stop() {
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace drover::apps
