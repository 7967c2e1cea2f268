#include "apps/node_connection.hpp"

namespace drover::apps {

caf::expected<node_connection> node_connection::open(const std::string& flag,
                                                     const runtime::node_config& config) {
  node_connection connection;
  if (auto url = find_node(flag, config.data_dir)) {
    connection.url_ = *url;
  } else {
    auto values = config;
    values.listen.port = values.http.port = values.metrics.port = 0;
    values.background_probes = false; // it lives for one command; `drover tools probe` asks explicitly
    auto started = node::start(values);
    if (!started)
      return started.error();
    connection.embedded_ = std::move(*started);
    connection.url_ = connection.embedded_->http_url();
  }
  connection.client_ = std::make_unique<node_client>(connection.url_, config.api_token);
  return connection;
}

void node_connection::stop() {
  if (embedded_)
    embedded_->stop();
}

} // namespace drover::apps
