#include "cluster/curve_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>
#include <zmq.h>

#include "runtime/error.hpp"

namespace drover::cluster {

namespace {

namespace fs = std::filesystem;
using runtime::runtime_errc;

constexpr const char* cluster_key_file = "cluster.key";
constexpr const char* node_key_file = "node.key";
constexpr const char* authorized_keys_file = "authorized_keys";
constexpr size_t z85_key_length = 40;
constexpr const char* z85_alphabet =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

caf::error invalid(const std::string& where, const std::string& what) {
  return runtime::make_error(runtime_errc::invalid_config, where + ": " + what);
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

/// Returns why `text` is not a 40-character z85 key, or nothing when it is one.
std::optional<std::string> key_problem(const std::string& text) {
  if (text.size() != z85_key_length)
    return "expected a CURVE key (40 z85 characters), got " + std::to_string(text.size())
           + " characters";
  const auto bad = text.find_first_not_of(z85_alphabet);
  if (bad != std::string::npos)
    return std::string{"expected a z85 key, found '"} + text[bad] + "' at column "
           + std::to_string(bad + 1);
  uint8_t binary[32];
  if (zmq_z85_decode(binary, text.c_str()) == nullptr)
    return "expected a z85 key, got text that does not decode";
  return std::nullopt;
}

bool is_key(const std::string& text) {
  return !key_problem(text);
}

/// Reads the file `path`; a missing file says what should have written it.
caf::expected<std::string> read_text(const fs::path& path) {
  std::ifstream in{path};
  if (!in) {
    if (!fs::exists(path))
      return invalid(path.string(), "missing: expected a file written by `drover keys generate --dir "
                                      + path.parent_path().string() + "`");
    return runtime::make_error(runtime_errc::io_error,
                               path.string() + ": cannot read: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Parses the lines of an allow-list: one key per line, comments as described in the header.
caf::expected<std::vector<std::string>> parse_authorized_keys(const fs::path& path,
                                                              const std::string& text) {
  std::vector<std::string> keys;
  std::istringstream lines{text};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const auto trimmed = trim(line);
    const auto key = trimmed.substr(0, trimmed.find_first_of(" \t"));
    if (key.empty() || (key[0] == '#' && !is_key(key)))
      continue;
    if (auto problem = key_problem(key))
      return invalid(path.string() + ":" + std::to_string(number), *problem);
    keys.push_back(key);
  }
  return keys;
}

caf::expected<curve_key_pair> parse_key_pair(const fs::path& path, const std::string& text) {
  curve_key_pair pair;
  std::istringstream lines{text};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const auto trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#')
      continue;
    const auto where = path.string() + ":" + std::to_string(number);
    const auto equals = trimmed.find('=');
    const auto name = trim(trimmed.substr(0, equals));
    auto* field = name == "public-key" ? &pair.public_key
                  : name == "secret-key" ? &pair.secret_key
                                         : nullptr;
    if (equals == std::string::npos || field == nullptr)
      return invalid(where, "expected `public-key = KEY` or `secret-key = KEY`");
    if (!field->empty())
      return invalid(where, "a second " + name + " line");
    *field = trim(trimmed.substr(equals + 1));
    if (auto problem = key_problem(*field))
      return invalid(where, *problem);
  }
  if (pair.public_key.empty() || pair.secret_key.empty()) {
    const std::string name = pair.public_key.empty() ? "public-key" : "secret-key";
    return invalid(path.string(), "no " + name + " line: expected `" + name + " = KEY`");
  }
  char derived[z85_key_length + 1];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0 || pair.public_key != derived)
    return invalid(path.string(), "the public-key does not belong to the secret-key");
  return pair;
}

caf::expected<curve_key_pair> load_key_pair(const fs::path& path) {
  auto text = read_text(path);
  if (!text)
    return std::move(text.error());
  struct stat status {};
  if (stat(path.c_str(), &status) == 0 && (status.st_mode & 077) != 0)
    spdlog::warn("{}: others may read this secret key (mode {:o}): chmod 600 it", path.string(),
                 status.st_mode & 0777);
  return parse_key_pair(path, *text);
}

std::string key_pair_text(const curve_key_pair& pair, const std::string& purpose) {
  return "# Drover CURVE key pair: " + purpose + ". Secret: keep it mode 0600.\npublic-key = "
         + pair.public_key + "\nsecret-key = " + pair.secret_key + "\n";
}

caf::expected<curve_key_pair> make_key_pair() {
  char public_key[z85_key_length + 1];
  char secret_key[z85_key_length + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    return runtime::make_error(runtime_errc::io_error,
                               std::string{"cannot make a CURVE key pair: "} + zmq_strerror(errno));
  return curve_key_pair{public_key, secret_key};
}

/// Writes `text` to `path` with `flags` (O_EXCL: refuse an existing file; O_APPEND: add to it).
caf::error write_text(const fs::path& path, const std::string& text, int flags, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return runtime::make_error(runtime_errc::invalid_argument,
                                 path.string() + " already exists: a key file is never overwritten "
                                                 "(move it away first to make a new one)");
    return runtime::make_error(runtime_errc::io_error,
                               path.string() + ": cannot write: " + std::strerror(errno));
  }
  const auto written = write(fd, text.data(), text.size());
  const auto write_errno = errno;
  close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return runtime::make_error(runtime_errc::io_error,
                               path.string() + ": cannot write: " + std::strerror(write_errno));
  return caf::none;
}

/// Brings OTHER's cluster.key and allow-list into `dir`, refusing to replace another cluster's key.
caf::error join_cluster_of(const fs::path& dir, const fs::path& other) {
  auto cluster = load_key_pair(other / cluster_key_file);
  if (!cluster)
    return std::move(cluster.error());
  auto other_text = read_text(other / authorized_keys_file);
  if (!other_text)
    return std::move(other_text.error());
  auto other_keys = parse_authorized_keys(other / authorized_keys_file, *other_text);
  if (!other_keys)
    return std::move(other_keys.error());

  if (fs::exists(dir / cluster_key_file)) {
    auto own = load_key_pair(dir / cluster_key_file);
    if (!own)
      return std::move(own.error());
    if (own->public_key != cluster->public_key)
      return runtime::make_error(runtime_errc::invalid_argument,
                                 (dir / cluster_key_file).string() + " belongs to another cluster than "
                                   + (other / cluster_key_file).string() + ": refusing to replace it");
  } else if (auto error = write_text(dir / cluster_key_file,
                                     key_pair_text(*cluster, "the cluster's server key, the same on every member"),
                                     O_EXCL, 0600)) {
    return error;
  }

  if (!fs::exists(dir / authorized_keys_file))
    return write_text(dir / authorized_keys_file, *other_text, O_EXCL, 0644);
  auto own_text = read_text(dir / authorized_keys_file);
  if (!own_text)
    return std::move(own_text.error());
  auto own_keys = parse_authorized_keys(dir / authorized_keys_file, *own_text);
  if (!own_keys)
    return std::move(own_keys.error());
  std::string missing;
  for (const auto& key : *other_keys)
    if (std::find(own_keys->begin(), own_keys->end(), key) == own_keys->end())
      missing += key + "  copied from " + other.string() + "\n";
  return write_text(dir / authorized_keys_file, missing, O_APPEND, 0644);
}

} // namespace

caf::expected<curve_keys> load_curve_keys(const std::string& dir) {
  const fs::path root{dir};
  curve_keys keys;
  auto cluster = load_key_pair(root / cluster_key_file);
  if (!cluster)
    return std::move(cluster.error());
  keys.cluster = std::move(*cluster);
  auto node = load_key_pair(root / node_key_file);
  if (!node)
    return std::move(node.error());
  keys.node = std::move(*node);
  const auto allow_list = root / authorized_keys_file;
  auto text = read_text(allow_list);
  if (!text)
    return std::move(text.error());
  auto authorized = parse_authorized_keys(allow_list, *text);
  if (!authorized)
    return std::move(authorized.error());
  if (authorized->empty())
    return invalid(allow_list.string(),
                   "no keys: expected the z85 public key of every member, one per line");
  keys.authorized = std::move(*authorized);
  return keys;
}

caf::expected<generated_keys> generate_curve_keys(const std::string& dir,
                                                  const std::string& cluster_from) {
  const fs::path root{dir};
  if (fs::exists(root / node_key_file))
    return runtime::make_error(runtime_errc::invalid_argument,
                               (root / node_key_file).string()
                                 + " already exists: a node key is never overwritten (move it away "
                                   "first, or use another --dir)");
  std::error_code error;
  if (fs::create_directories(root, error))
    fs::permissions(root, fs::perms::owner_all, error);
  if (error)
    return runtime::make_error(runtime_errc::io_error, dir + ": cannot create: " + error.message());

  generated_keys made;
  if (!cluster_from.empty()) {
    if (auto failed = join_cluster_of(root, cluster_from))
      return failed;
  } else if (!fs::exists(root / cluster_key_file)) {
    auto cluster = make_key_pair();
    if (!cluster)
      return std::move(cluster.error());
    if (auto failed = write_text(root / cluster_key_file,
                                 key_pair_text(*cluster, "the cluster's server key, the same on every member"),
                                 O_EXCL, 0600))
      return failed;
    made.new_cluster = true;
  }

  auto node = make_key_pair();
  if (!node)
    return std::move(node.error());
  if (auto failed = write_text(root / node_key_file,
                               key_pair_text(*node, "this node's client key, never copied"), O_EXCL,
                               0600))
    return failed;
  char host[256] = "unknown host";
  gethostname(host, sizeof(host) - 1);
  if (auto failed = write_text(root / authorized_keys_file,
                               node->public_key + "  node key made on " + host + "\n", O_APPEND, 0644))
    return failed;
  made.node_public_key = node->public_key;
  return made;
}

} // namespace drover::cluster
