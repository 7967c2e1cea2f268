#include "runtime/detail/git.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/detail/exec_args.hpp"
#include "runtime/error.hpp"

extern char** environ; // NOLINT: POSIX declares it nowhere in a header

namespace drover::runtime::detail {

namespace {

/// Keeps at most this much of git's stderr: enough for any message, bounded for a chatty git.
constexpr size_t max_stderr = 64U * 1024U;

/// Variables that would point git at another repository, index or pathspec mode than the
/// `-C` directory implies; a Drover started from a git hook inherits some of them.
constexpr std::array<std::string_view, 12> dropped_variables = {
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_PREFIX",
  "GIT_NAMESPACE",
  "GIT_GLOB_PATHSPECS",
  "GIT_NOGLOB_PATHSPECS",
  "GIT_ICASE_PATHSPECS",
  "GIT_QUARANTINE_PATH",
};

/// An owned file descriptor.
class unique_fd {
public:
  explicit unique_fd(int fd = -1)
    : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_;
};

/// Makes a close-on-exec pipe whose ends are above stderr, so that the child's dup2 onto
/// 0..2 can never clobber one of them even when the parent runs with closed std streams.
bool make_pipe(unique_fd& read_end, unique_fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return false;
  for (int& fd : fds) {
    if (fd <= STDERR_FILENO) {
      const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      ::close(fd);
      fd = moved;
    }
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return fds[0] >= 0 && fds[1] >= 0;
}

/// Sets `fd` to a close-on-exec descriptor above stderr, positioned at the start of an
/// anonymous in-memory file holding `input`. Returns false with errno set when that fails. A
/// file rather than a pipe: git reads it at its own pace (or not at all) while this thread
/// drains git's output, so there is no writer to block and no SIGPIPE to catch.
bool make_input_file(const std::string& input, unique_fd& fd) {
  fd.reset(::memfd_create("drover-git-stdin", MFD_CLOEXEC));
  if (fd.get() >= 0 && fd.get() <= STDERR_FILENO)
    fd.reset(::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
  for (size_t done = 0; fd.get() >= 0 && done < input.size();) {
    const auto count = ::write(fd.get(), input.data() + done, input.size() - done);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
      fd.reset();
    else
      done += static_cast<size_t>(count);
  }
  if (fd.get() >= 0 && ::lseek(fd.get(), 0, SEEK_SET) != 0)
    fd.reset();
  return fd.get() >= 0;
}

std::string variable_name(std::string_view entry) {
  return std::string{entry.substr(0, entry.find('='))};
}

std::vector<std::string> child_environment(const git_command& command) {
  std::vector<std::pair<std::string, std::string>> forced = {
    {"GIT_LITERAL_PATHSPECS", "1"}, {"GIT_OPTIONAL_LOCKS", "0"}, {"GIT_TERMINAL_PROMPT", "0"}};
  forced.insert(forced.end(), command.env.begin(), command.env.end());
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const auto name = variable_name(*entry);
    bool keep = true;
    for (auto dropped : dropped_variables)
      keep = keep && name != dropped;
    for (const auto& [forced_name, value] : forced)
      keep = keep && name != forced_name;
    if (keep)
      result.emplace_back(*entry);
  }
  for (const auto& [name, value] : forced)
    result.push_back(name + "=" + value);
  return result;
}

std::string describe_command(const git_command& command) {
  std::string text = "git";
  for (const auto& arg : command.args) {
    if (text.size() > 200) { // a batch of paths: the first ones identify it well enough
      text += " ...";
      break;
    }
    text += " " + arg;
  }
  return text;
}

/// Reads both pipes until both reach end of file. Returns 0 or the errno of a failed poll.
int drain(unique_fd& out, unique_fd& err, std::string& errors,
          const std::function<void(std::string_view)>& on_stdout) {
  std::array<char, 64U * 1024U> buffer;
  while (out.get() >= 0 || err.get() >= 0) {
    std::array<pollfd, 2> fds = {pollfd{out.get(), POLLIN, 0}, pollfd{err.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      auto& fd = i == 0 ? out : err;
      const auto count = ::read(fd.get(), buffer.data(), buffer.size());
      if (count < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (count <= 0) {
        fd.reset();
        continue;
      }
      const std::string_view chunk{buffer.data(), static_cast<size_t>(count)};
      if (i == 0)
        on_stdout(chunk);
      else if (errors.size() < max_stderr)
        errors.append(chunk.substr(0, max_stderr - errors.size()));
    }
  }
  return 0;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return status;
}

} // namespace

caf::error stream_git(const git_command& command,
                      const std::function<void(std::string_view)>& on_stdout) {
  unique_fd out_read, out_write, err_read, err_write;
  if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write))
    return make_error(runtime_errc::spawn_failed,
                      "cannot create pipes for git: " + std::string{std::strerror(errno)});
  unique_fd input;
  if (!command.input.empty() && !make_input_file(command.input, input))
    return make_error(runtime_errc::spawn_failed,
                      "cannot prepare the input of git: " + std::string{std::strerror(errno)});
  std::vector<std::string> argv_strings = {"git", "-C", command.cwd};
  argv_strings.insert(argv_strings.end(), command.args.begin(), command.args.end());
  auto env_strings = child_environment(command);
  auto argv = detail::exec_args(argv_strings);
  auto envp = detail::exec_args(env_strings);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (input.get() >= 0)
    posix_spawn_file_actions_adddup2(&actions, input.get(), STDIN_FILENO);
  else
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  // The pipes' and the input's own descriptors are close-on-exec: the child keeps only 0-2.
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  if (spawned != 0)
    return make_error(runtime_errc::spawn_failed,
                      "cannot start git: " + std::string{std::strerror(spawned)});
  std::string errors;
  const int drained = drain(out_read, err_read, errors, on_stdout);
  out_read.reset(); // a git still writing gets SIGPIPE instead of blocking the wait below
  err_read.reset();
  const int status = wait_for(pid);
  if (drained != 0)
    return make_error(runtime_errc::io_error, "cannot read the output of " +
                                                describe_command(command) + ": " +
                                                std::strerror(drained));
  if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  std::string how =
    status >= 0 && WIFEXITED(status)
      ? "exit code " + std::to_string(WEXITSTATUS(status))
      : "killed by signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return make_error(runtime_errc::git_failed, describe_command(command) + " failed in " +
                                                command.cwd + " (" + how +
                                                "): " + trim_newlines(std::move(errors)));
}

caf::expected<std::string> run_git(const git_command& command) {
  std::string output;
  if (auto error = stream_git(command, [&](std::string_view chunk) { output.append(chunk); }))
    return error;
  return output;
}

caf::expected<std::string> run_git(std::vector<std::string> args, std::string cwd) {
  return run_git(git_command{std::move(args), std::move(cwd)});
}

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

} // namespace drover::runtime::detail
