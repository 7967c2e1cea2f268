#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace drover::runtime {

/// A host and a TCP port; port 0 means "pick a free one".
struct host_port {
  std::string host;
  uint16_t port = 0;
  /// Returns "HOST:PORT".
  std::string to_string() const;
};

/// Parses "HOST:PORT" (HOST non-empty, PORT 0..65535).
std::optional<host_port> parse_host_port(const std::string& text);

/// The effective configuration of one node.
struct node_config {
  std::string data_dir;
  host_port listen;  ///< the ZeroMQ endpoint, written tcp://HOST:PORT
  host_port metrics; ///< the Prometheus exposer
  host_port http;    ///< the HTTP API
  std::string log_level;
  std::string durability; ///< "process" (WAL, no sync) or "power" (synced group commit)
  unsigned invokers = 1;  ///< invoker actors per job on this node
  unsigned catalog_shards = 4; ///< catalog shard actors the tool catalog is partitioned into
  /// Not a configuration key: a node that lives as long as one command (embedded in `drover
  /// batch` or `drover tools`) does not probe the whole catalog in the background.
  bool background_probes = true;
  std::string tools_dir;  ///< extra tool manifests (*.yaml), or empty
  /// When set, the HTTP API's mutating requests (POST) need "Authorization: Bearer TOKEN", and
  /// the CLI sends it; empty leaves the API open (keep it on loopback then).
  std::string api_token;
  /// Cluster: members to join through (tcp://HOST:PORT each); empty starts a cluster of one.
  std::vector<std::string> join;
  /// The endpoint other members reach this node at (tcp://HOST:PORT); empty means the bound
  /// `listen` endpoint, which must then not be a wildcard host.
  std::string advertise;
  /// A directory written by `drover keys generate` (CurveZMQ keys and the allow-list); empty
  /// runs without encryption, which only a loopback `listen` allows.
  std::string keys_dir;
  unsigned heartbeat_interval_ms = 250; ///< how often a node pings each member
  /// A member silent this long is declared dead (suspect after half of it).
  unsigned suspicion_timeout_ms = 2000;
};

/// A node_config plus, for each key, where its value came from.
struct resolved_config {
  node_config values;
  std::map<std::string, std::string> origin; ///< key -> "default", "file F", "env V", "flag --F"
};

/// Everything the configuration is resolved from. Precedence: flags > env > file > defaults.
struct config_inputs {
  std::optional<std::string> file;                        ///< a YAML mapping of key: value
  std::function<std::optional<std::string>(const std::string&)> env; ///< reads one variable
  std::map<std::string, std::string> flags;               ///< key -> value, only flags given
};

/// The configuration keys, in the order `drover config show` prints them.
std::vector<std::string> config_keys();

/// Returns true for a key holding a list (`join`): comma-separated in a variable or a flag,
/// which may also be repeated; a YAML sequence or a comma-separated string in the file.
bool is_list_key(const std::string& key);

/// Returns the environment variable that sets `key` (DROVER_ + upper case key).
std::string env_name(const std::string& key);

/// Returns the command line flag that sets `key` (-- + key with '-' for '_').
std::string flag_name(const std::string& key);

/// Returns the text form of `key`'s value in `config`.
std::string value_of(const node_config& config, const std::string& key);

/// Resolves the configuration; an unknown key, a bad value or values that contradict each other
/// (suspicion_timeout_ms below 4 x heartbeat_interval_ms) fail with runtime_errc::invalid_config
/// naming the source (file, variable or flag), the key and what was expected.
caf::expected<resolved_config> resolve_config(const config_inputs& inputs);

/// Checks what ties the cluster keys to `listen`, as a node checks it on start: a `listen` host
/// other than loopback (127.x, localhost, ::1) requires `keys_dir` (CurveZMQ), and a wildcard
/// `listen` host (0.0.0.0, *, ::) requires `advertise`. Fails with runtime_errc::invalid_config
/// naming the keys, their values and where they came from.
caf::error check_cluster_endpoints(const resolved_config& resolved);

/// Reads a variable of this process's environment.
std::optional<std::string> process_env(const std::string& name);

} // namespace drover::runtime
