#pragma once

#include <optional>
#include <string>

#include <caf/error.hpp>

namespace drover::apps {

/// What a running node publishes in DATA_DIR/node.json so that scripts, tests and the CLI can
/// find it: its identity and the endpoints it actually bound (after port 0 was resolved).
struct node_file {
  std::string node_id;
  long pid = 0;
  std::string version;
  std::string data_dir;
  std::string listen;  ///< tcp://HOST:PORT
  std::string advertise; ///< tcp://HOST:PORT other members reach it at
  std::string http;    ///< HOST:PORT
  std::string metrics; ///< HOST:PORT
};

/// Returns the path of the node file in `data_dir`.
std::string node_file_path(const std::string& data_dir);

/// Writes `file` to DATA_DIR/node.json atomically (temporary file, then rename).
caf::error write_node_file(const node_file& file);

/// Reads DATA_DIR/node.json, or nothing when it is missing or unreadable.
std::optional<node_file> read_node_file(const std::string& data_dir);

} // namespace drover::apps
