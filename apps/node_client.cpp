#include "apps/node_client.hpp"

#include <signal.h>

#include <httplib.h>

#include "apps/node_file.hpp"
#include "runtime/error.hpp"
#include "runtime/node_config.hpp"

namespace drover::apps {

node_client::node_client(const std::string& base_url, const std::string& api_token)
  : base_url_(base_url), client_(std::make_unique<httplib::Client>(base_url)) {
  if (!api_token.empty())
    client_->set_bearer_token_auth(api_token);
  client_->set_connection_timeout(5);
  client_->set_read_timeout(660); // POST /v1/tools/probe of a whole catalog may take minutes
}

node_client::~node_client() = default;

caf::expected<nlohmann::json> node_client::get(const std::string& path) {
  auto result = client_->Get(path);
  return answer(&result, "GET " + base_url_ + path);
}

caf::expected<nlohmann::json> node_client::post(const std::string& path, const nlohmann::json& body) {
  auto result = client_->Post(path, body.dump(), "application/json");
  return answer(&result, "POST " + base_url_ + path);
}

caf::expected<nlohmann::json> node_client::answer(const void* opaque, const std::string& what) {
  const auto& result = *static_cast<const httplib::Result*>(opaque);
  if (!result)
    return runtime::make_error(runtime::runtime_errc::io_error,
                               what + ": no answer (" + httplib::to_string(result.error()) + ")");
  auto body = nlohmann::json::parse(result->body, nullptr, false);
  if (result->status / 100 == 2 && !body.is_discarded())
    return body;
  std::string message = body.is_discarded() ? result->body : body["error"].value("message", result->body);
  const auto code = result->status == 404   ? runtime::runtime_errc::not_found
                    : result->status / 100 == 4 ? runtime::runtime_errc::invalid_argument
                                                : runtime::runtime_errc::io_error;
  return runtime::make_error(code, message);
}

std::optional<std::string> find_node(const std::string& flag, const std::string& data_dir) {
  if (!flag.empty())
    return flag;
  if (auto from_env = runtime::process_env("DROVER_NODE"); from_env && !from_env->empty())
    return *from_env;
  auto file = read_node_file(data_dir);
  if (file && file->pid > 0 && kill(static_cast<pid_t>(file->pid), 0) == 0 && !file->http.empty())
    return "http://" + file->http;
  return std::nullopt;
}

} // namespace drover::apps
