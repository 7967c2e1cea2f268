#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "apps/commands.hpp"
#include "apps/node.hpp"
#include "cluster/curve_keys.hpp"
#include "runtime/error.hpp"
#include "runtime/tool_catalog.hpp"

namespace drover::apps {

namespace {

using runtime::make_error;
using runtime::runtime_errc;

/// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that the
/// signals are only ever taken by `sigwait` below.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

/// Checks that the data directory exists and takes a new file, or that its nearest existing
/// parent lets a node create it, without leaving anything behind.
caf::error check_data_dir(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(path, error)) {
    if (!fs::is_directory(path, error))
      return make_error(runtime_errc::io_error, "the data directory " + path + " is not a directory");
    // access() says yes to root on a read-only file system: only a real write tells.
    const auto probe = path + "/.drover-check-" + std::to_string(getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
      return make_error(runtime_errc::io_error,
                        "the data directory " + path + " is not writable: " + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
    return caf::none;
  }
  auto parent = fs::path{path}.parent_path();
  while (!parent.empty() && !fs::exists(parent, error) && parent != parent.root_path())
    parent = parent.parent_path();
  const auto probe = parent / (".drover-check-" + std::to_string(getpid()));
  if (!fs::is_directory(parent, error) || ::mkdir(probe.c_str(), 0700) != 0)
    return make_error(runtime_errc::io_error, "cannot create the data directory " + path + ": "
                                                + parent.string() + " is not a writable directory");
  ::rmdir(probe.c_str());
  return caf::none;
}

/// Checks that no process holds the lock RocksDB takes on DATA_DIR/store/LOCK (fcntl), as a
/// node running on the same data directory does.
caf::error check_store_unlocked(const std::string& data_dir) {
  const auto lock_file = data_dir + "/store/LOCK";
  const int fd = ::open(lock_file.c_str(), O_RDONLY);
  if (fd < 0)
    return caf::none; // no store yet: nothing holds it
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool tested = fcntl(fd, F_GETLK, &lock) == 0;
  ::close(fd);
  if (tested && lock.l_type != F_UNLCK)
    return make_error(runtime_errc::store_locked, "the store " + data_dir + "/store is locked by process "
                                                    + std::to_string(lock.l_pid)
                                                    + ": another node runs on this data directory");
  return caf::none;
}

/// A listening socket held while the other addresses are checked, so that two keys naming one
/// port conflict as they would in a node.
class held_socket {
public:
  explicit held_socket(int fd) : fd_(fd) {}
  ~held_socket() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  held_socket(held_socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  held_socket(const held_socket&) = delete;
  held_socket& operator=(const held_socket&) = delete;
  held_socket& operator=(held_socket&&) = delete;

private:
  int fd_;
};

/// Binds and listens on `address` (the config key `key`) as the node would, keeping the socket
/// in `held`.
caf::error check_bindable(const std::string& key, const runtime::host_port& address,
                          std::vector<held_socket>& held) {
  auto host = address.host == "*" ? std::string{"0.0.0.0"} : address.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto port = std::to_string(address.port);
  const auto named = key + " " + address.to_string();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int failed = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); failed != 0)
    return make_error(runtime_errc::invalid_config, named + ": cannot resolve " + host + ": " + gai_strerror(failed));
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  int yes = 1;
  // As the ZeroMQ and HTTP listeners do, so that a port in TIME_WAIT counts as free.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 1) == 0;
  const int bind_errno = errno;
  freeaddrinfo(found);
  held.emplace_back(fd);
  if (!bound)
    return make_error(bind_errno == EADDRINUSE ? runtime_errc::address_in_use : runtime_errc::invalid_config,
                      named + ": cannot listen: "
                        + (bind_errno == EADDRINUSE ? std::string{"the port is in use"} : std::strerror(bind_errno)));
  return caf::none;
}

/// Prints every key's effective value and where it came from.
void print_config(const runtime::resolved_config& config) {
  const auto keys = runtime::config_keys();
  size_t key_width = 0;
  size_t value_width = 0;
  for (const auto& key : keys) {
    key_width = std::max(key_width, key.size());
    value_width = std::max(value_width, runtime::value_of(config.values, key).size());
  }
  std::printf("configuration\n");
  for (const auto& key : keys)
    std::printf("  %-*s %-*s # %s\n", static_cast<int>(key_width), key.c_str(), static_cast<int>(value_width),
                runtime::value_of(config.values, key).c_str(), config.origin.at(key).c_str());
}

} // namespace

int run_up(const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(config.error()).c_str());
    return exit_usage;
  }
  if (auto error = runtime::check_cluster_endpoints(*config)) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(error).c_str());
    return exit_usage;
  }
  spdlog::set_level(spdlog::level::from_str(config->values.log_level));
  const auto signals = block_stop_signals();
  auto started = node::start(config->values);
  if (!started) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(started.error()).c_str());
    return exit_usage;
  }
  const auto& published = (*started)->published();
  std::printf("drover %s node %s (boot %llu)\n"
              "  data dir  %s\n"
              "  listen    %s (members reach it at %s)\n"
              "  http      http://%s/v1/node\n"
              "  metrics   http://%s/metrics\n"
              "  keys      %s\n"
              "ready: SIGINT or SIGTERM stops the node\n",
              published.version.c_str(), published.node_id.c_str(),
              static_cast<unsigned long long>((*started)->boot_count()), published.data_dir.c_str(),
              published.listen.c_str(), published.advertise.c_str(), published.http.c_str(),
              published.metrics.c_str(),
              config->values.keys_dir.empty()
                ? "none: cluster traffic is neither encrypted nor authenticated (loopback only; "
                  "`drover keys generate` makes keys)"
                : config->values.keys_dir.c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("{} received, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  if (auto error = (*started)->stop()) {
    std::fprintf(stderr, "drover up: %s\n", runtime::describe(error).c_str());
    return exit_failure;
  }
  std::printf("stopped\n");
  return exit_ok;
}

int run_up_check(const runtime::config_inputs& inputs) {
  auto config = runtime::resolve_config(inputs);
  if (!config) {
    std::fprintf(stderr, "drover up --check: %s\n", runtime::describe(config.error()).c_str());
    return exit_usage;
  }
  print_config(*config);
  const auto& values = config->values;
  std::printf("checks\n");
  int failures = 0;
  const auto report = [&failures](const std::string& what, const caf::error& error) {
    if (!error) {
      std::printf("  ok    %s\n", what.c_str());
      return;
    }
    ++failures;
    std::printf("  FAIL  %s\n", what.c_str());
    std::fprintf(stderr, "drover up --check: %s\n", runtime::describe(error).c_str());
  };
  report("data dir " + values.data_dir + " can be created and written", check_data_dir(values.data_dir));
  report("the store is not locked by another node", check_store_unlocked(values.data_dir));
  if (values.keys_dir.empty())
    std::printf("  warn  keys_dir is not set: no CurveZMQ encryption (allowed on loopback only)\n");
  else if (auto keys = cluster::load_curve_keys(values.keys_dir); !keys)
    report("keys_dir " + values.keys_dir + " holds this node's keys and the allow-list", keys.error());
  else
    report("keys_dir " + values.keys_dir + " holds this node's keys and the allow-list", caf::none);
  report("listen, keys_dir and advertise fit together", runtime::check_cluster_endpoints(*config));
  if (!values.tools_dir.empty()) {
    runtime::tool_catalog catalog;
    report("tools_dir " + values.tools_dir + " holds valid manifests", catalog.add_directory(values.tools_dir));
  }
  {
    std::vector<held_socket> held;
    report("listen tcp://" + values.listen.to_string() + " can be bound", check_bindable("listen", values.listen, held));
    report("http " + values.http.to_string() + " can be bound", check_bindable("http", values.http, held));
    report("metrics " + values.metrics.to_string() + " can be bound",
           check_bindable("metrics", values.metrics, held));
  }
  if (failures > 0) {
    std::printf("drover up would not start: %d check%s failed\n", failures, failures == 1 ? "" : "s");
    return exit_usage;
  }
  std::printf("drover up would start with this configuration\n");
  return exit_ok;
}

} // namespace drover::apps
