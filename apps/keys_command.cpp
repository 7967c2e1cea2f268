#include <cstdio>
#include <filesystem>

#include "apps/commands.hpp"
#include "cluster/curve_keys.hpp"
#include "runtime/error.hpp"

namespace drover::apps {

int run_keys_generate(const std::string& dir, const std::string& cluster_from) {
  auto made = cluster::generate_curve_keys(dir, cluster_from);
  if (!made) {
    std::fprintf(stderr, "drover keys generate: %s\n", runtime::describe(made.error()).c_str());
    return runtime::is(made.error(), runtime::runtime_errc::io_error) ? exit_failure : exit_usage;
  }
  const auto root = std::filesystem::absolute(dir).lexically_normal().string();
  std::printf("node public key: %s\n\n", made->node_public_key.c_str());
  std::printf("%s/node.key         this node's key pair: secret, stays on this machine\n"
              "%s/cluster.key      the cluster's key pair (%s): secret, the same on every member\n"
              "%s/authorized_keys  the public keys admitted, now with this node's\n\n",
              root.c_str(), root.c_str(), made->new_cluster ? "new" : "kept or copied",
              root.c_str());
  std::printf("Start the node with --keys-dir %s.\n", root.c_str());
  std::printf("Let this node in: append this line to authorized_keys on every other member and\n"
              "restart them:\n  %s\n",
              made->node_public_key.c_str());
  std::printf("Add another machine: copy %s/cluster.key and %s/authorized_keys to it (into\n"
              "DIR, over a secure channel) and run there:\n"
              "  drover keys generate --dir KEYS_DIR --cluster-from DIR\n",
              root.c_str(), root.c_str());
  return exit_ok;
}

} // namespace drover::apps
