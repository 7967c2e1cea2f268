#pragma once

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "apps/node.hpp"
#include "apps/node_client.hpp"
#include "runtime/node_config.hpp"

namespace drover::apps {

/// The node a command talks to: the running node that `flag`, $DROVER_NODE or the data
/// directory's node.json names, else a node embedded in this process on free ports (with the
/// data directory of `config`), stopped when the connection is. Not thread-safe.
class node_connection {
public:
  /// Finds or starts the node; fails as node::start when an embedded node cannot start.
  static caf::expected<node_connection> open(const std::string& flag, const runtime::node_config& config);

  const std::string& url() const { return url_; }
  node_client& client() { return *client_; }
  /// Returns true when the node runs inside this process.
  bool embedded() const { return embedded_ != nullptr; }
  /// Stops an embedded node (a running one is left alone); idempotent.
  void stop();

private:
  std::unique_ptr<node> embedded_;
  std::string url_;
  std::unique_ptr<node_client> client_;
};

} // namespace drover::apps
