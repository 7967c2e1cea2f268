#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace drover::apps {

/// A client of a node's HTTP API (apps/http_api.hpp). Not thread-safe.
class node_client {
public:
  /// Talks to `base_url`, e.g. http://127.0.0.1:7421, sending `api_token` (when not empty) as
  /// the bearer token that the node's mutating requests need.
  node_client(const std::string& base_url, const std::string& api_token);
  ~node_client();

  /// GET `path`; returns the JSON body of a 2xx answer, or an error carrying the API's message.
  caf::expected<nlohmann::json> get(const std::string& path);

  /// POST `body` to `path`, as get().
  caf::expected<nlohmann::json> post(const std::string& path, const nlohmann::json& body);

private:
  caf::expected<nlohmann::json> answer(const void* result, const std::string& what);

  std::string base_url_;
  std::unique_ptr<httplib::Client> client_;
};

/// Returns the URL of a running node to talk to: `flag` when given, else $DROVER_NODE, else
/// the node whose DATA_DIR/node.json names a live process; nothing when none is found.
std::optional<std::string> find_node(const std::string& flag, const std::string& data_dir);

} // namespace drover::apps
