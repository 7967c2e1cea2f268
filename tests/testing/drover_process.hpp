#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace drover::testing {

/// A real `drover` child process started by a test. Output goes to files in the test's
/// directory. The destructor kills the process (by PID, SIGKILL) if it is still running, so no
/// test leaves a process behind. Not thread-safe.
class drover_process {
public:
  /// Starts `drover args...` (the binary built with the tests); stdout and stderr go to
  /// `log_prefix`.out and .err. A non-empty `launcher` (e.g. `ip netns exec NS`) is run with the
  /// binary and `args` after it; it must exec the binary, so that pid() is the node's.
  drover_process(const std::vector<std::string>& args, const std::string& log_prefix,
                 const std::vector<std::string>& launcher = {});
  ~drover_process();
  drover_process(const drover_process&) = delete;
  drover_process& operator=(const drover_process&) = delete;

  /// Returns the child's PID.
  pid_t pid() const { return pid_; }

  /// Waits until DATA_DIR/node.json names this process and returns it, or nothing if the
  /// process exits or `timeout` passes first.
  std::optional<nlohmann::json> wait_for_node_file(const std::string& data_dir,
                                                   std::chrono::milliseconds timeout);

  /// Sends `signal`.
  void signal(int signal);

  /// Waits up to `timeout` for the exit; returns the exit status, or -signal if killed by a
  /// signal, or nothing on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// Returns what the process wrote to stdout / stderr so far.
  std::string out() const;
  std::string err() const;

private:
  pid_t pid_ = -1;
  std::string log_prefix_;
  std::optional<int> status_;
};

/// Runs `drover args...` to completion (at most `timeout`) and returns its exit status, with
/// stdout and stderr in `out` and `err`.
int run_drover(const std::vector<std::string>& args, std::string& out, std::string& err,
               std::chrono::milliseconds timeout = std::chrono::seconds{60});

} // namespace drover::testing
