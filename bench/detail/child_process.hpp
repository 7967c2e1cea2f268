#pragma once

// Two-process benchmarks: the parent starts a copy of its own executable with a role argument
// and drives it line by line, commands on the child's stdin and reports on the child's fd 3
// (stdout stays free for the logs of the code measured).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace drover::bench::detail {

/// The file descriptor on which a child writes its reports.
constexpr int report_fd = 3;

/// Returns the path of the running executable.
inline std::string own_executable() {
  char path[4096] = {};
  const auto length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0)
    throw std::runtime_error{"cannot read /proc/self/exe"};
  return {path, static_cast<size_t>(length)};
}

/// Writes one report line to the parent (from the child). Thread-safe: one write per line.
inline void report(const std::string& line) {
  const auto text = line + "\n";
  [[maybe_unused]] auto written = write(report_fd, text.data(), text.size());
}

/// A copy of this executable started with `args`, fed commands on its stdin and read from its
/// report pipe. Stopped by its pid (SIGKILL) if it is still running on destruction.
/// Not thread-safe: used by the thread that made it.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& args) {
    int commands[2];
    int reports[2];
    if (pipe2(commands, O_CLOEXEC) != 0 || pipe2(reports, O_CLOEXEC) != 0)
      throw std::runtime_error{"pipe2 failed"};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, commands[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, reports[1], report_fd);
    const auto program = own_executable();
    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int failed = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(commands[0]);
    close(reports[1]);
    commands_ = commands[1];
    reports_ = reports[0];
    if (failed != 0)
      throw std::runtime_error{"cannot start " + program};
  }

  ~child_process() {
    close(commands_);
    if (pid_ > 0 && !exited_) {
      // It quits on its own when its stdin closes; a stuck one is killed.
      for (int i = 0; i < 100 && !reap(WNOHANG); ++i)
        usleep(50000);
      if (!exited_) {
        kill(pid_, SIGKILL);
        reap(0);
      }
    }
    close(reports_);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }

  /// Sends one command line.
  void send(const std::string& line) {
    const auto text = line + "\n";
    if (write(commands_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error{"the child " + std::to_string(pid_) + " is gone"};
  }

  /// Returns the next report line, waiting at most `timeout`; throws when none came.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds{120}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        auto line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      pollfd item{reports_, POLLIN, 0};
      if (left.count() <= 0 || poll(&item, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error{"no report from the child " + std::to_string(pid_) + " within "
                                 + std::to_string(timeout.count()) + " ms"};
      char chunk[4096];
      const auto got = read(reports_, chunk, sizeof(chunk));
      if (got <= 0)
        throw std::runtime_error{"the child " + std::to_string(pid_) + " closed its reports"};
      buffer_.append(chunk, static_cast<size_t>(got));
    }
  }

  /// Closes the child's stdin (its signal to quit) and waits for it to exit.
  void finish() {
    close(commands_);
    commands_ = -1;
    reap(0);
  }

private:
  bool reap(int options) {
    int status = 0;
    if (waitpid(pid_, &status, options) == pid_)
      exited_ = true;
    return exited_;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int commands_ = -1;
  int reports_ = -1;
  std::string buffer_;
};

/// Returns the sum of every sample of the metric family `name` in Prometheus text `text`.
inline double metric_sum(const std::string& text, const std::string& name) {
  double sum = 0;
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || text[at - 1] == '\n';
    const auto end = text.find('\n', at);
    const auto line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at += name.size();
    if (!line_start || line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ' && line[name.size()] != '}'))
      continue;
    sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return sum;
}

/// Returns the environment variable `name` as a number, or `fallback`.
inline uint64_t env_number(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

/// Returns the 1-minute load average.
inline double load_average() {
  double load = 0;
  if (FILE* file = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(file, "%lf", &load) != 1)
      load = 0;
    std::fclose(file);
  }
  return load;
}

} // namespace drover::bench::detail
