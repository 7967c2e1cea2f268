#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace drover::cluster {

// Trust model. A cluster's members hold a keys directory written by `drover keys generate`:
//
//   cluster.key      the cluster's CURVE *server* key pair, the same on every member. Every
//                    member's ROUTER presents it and every member's DEALER expects it, so a
//                    node connects only to members of its own cluster (a node with another
//                    cluster.key fails the handshake). Secret: mode 0600.
//   node.key         this node's own CURVE *client* key pair, made on this machine and never
//                    copied. Secret: mode 0600.
//   authorized_keys  the allow-list: the public client key of every member, one z85 key per
//                    line; a line whose first word starts with '#' (and is not itself a key) is
//                    a comment, and text after a key is a comment too. A member's ZAP handler
//                    admits a connection only if its client key is on this list, so holding
//                    cluster.key alone does not let a machine in. Every member holds the same
//                    list; adding a member means appending its key on every member and
//                    restarting them (the list is read at start).
//
// Without a keys directory a node speaks plain TCP, which runtime::check_cluster_endpoints allows
// on a loopback listen address only.
//
// A key pair file holds the lines `public-key = KEY` and `secret-key = KEY` (40-character z85
// each); blank lines and lines starting with '#' are ignored.

/// A CURVE key pair, both halves as 40-character z85 text.
struct curve_key_pair {
  std::string public_key;
  std::string secret_key;
};

/// The keys of one node, as read from its keys directory (see the trust model above).
struct curve_keys {
  curve_key_pair cluster;              ///< the server pair every member presents and expects
  curve_key_pair node;                 ///< this node's client pair
  std::vector<std::string> authorized; ///< z85 public client keys admitted; never empty
};

/// What `generate_curve_keys` made.
struct generated_keys {
  std::string node_public_key; ///< z85, now the last line of authorized_keys
  bool new_cluster = false;    ///< a new cluster.key was made (no --cluster-from, none there)
};

/// Reads DIR/cluster.key, DIR/node.key and DIR/authorized_keys. Fails with invalid_config
/// naming the file, the line and what was expected (a missing file, a key of the wrong length,
/// text that is not z85, a public key that does not belong to its secret key, an empty
/// allow-list). Logs a warning for a secret file that others may read.
caf::expected<curve_keys> load_curve_keys(const std::string& dir);

/// Does the work of `drover keys generate --dir DIR [--cluster-from OTHER]`: creates DIR (mode
/// 0700) if needed and a new DIR/node.key; copies OTHER/cluster.key and OTHER/authorized_keys
/// when `cluster_from` names another member's keys directory, otherwise keeps DIR/cluster.key
/// or makes a new one; then appends the new node's public key to DIR/authorized_keys. Never
/// overwrites an existing node.key, nor a cluster.key of another cluster (invalid_argument).
caf::expected<generated_keys> generate_curve_keys(const std::string& dir,
                                                  const std::string& cluster_from = "");

} // namespace drover::cluster
