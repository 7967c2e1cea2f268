#include "tests/testing/drover_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "tests/testing/temp_dir.hpp"

extern char** environ;

namespace drover::testing {

drover_process::drover_process(const std::vector<std::string>& args, const std::string& log_prefix,
                               const std::vector<std::string>& launcher)
  : log_prefix_(log_prefix) {
  std::vector<std::string> argv{launcher};
  argv.push_back(DROVER_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& arg : argv)
    pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (log_prefix + ".out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (log_prefix + ".err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // A launcher is looked up in PATH like a shell would; the binary is named by its full path.
  const int failed =
    posix_spawnp(&pid_, argv.front().c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0)
    throw std::runtime_error{"cannot start " + argv.front()};
}

drover_process::~drover_process() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::optional<nlohmann::json> drover_process::wait_for_node_file(const std::string& data_dir,
                                                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto json = nlohmann::json::parse(read_file(data_dir + "/node.json"), nullptr, false);
    if (!json.is_discarded() && json.value("pid", 0L) == pid_)
      return json;
    if (wait(std::chrono::milliseconds{0}))
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return std::nullopt;
}

void drover_process::signal(int signal) {
  if (!status_)
    kill(pid_, signal);
}

std::optional<int> drover_process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return status_;
}

std::string drover_process::out() const {
  return read_file(log_prefix_ + ".out");
}

std::string drover_process::err() const {
  return read_file(log_prefix_ + ".err");
}

int run_drover(const std::vector<std::string>& args, std::string& out, std::string& err,
               std::chrono::milliseconds timeout) {
  temp_dir logs;
  drover_process process{args, logs / "run"};
  auto status = process.wait(timeout);
  out = process.out();
  err = process.err();
  return status ? *status : -SIGKILL;
}

} // namespace drover::testing
