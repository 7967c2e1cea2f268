#include "runtime/process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <list>
#include <optional>
#include <system_error>

#include "runtime/detail/exec_args.hpp"
#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// posix_spawn cannot set rlimits, and calling prlimit(2) on the child after the spawn would let
// the program run (and fork) unlimited for a moment. util-linux prlimit(1), always installed on
// Debian, sets the limits on itself and then execs the program under the same pid, so the
// limits hold from the program's first instruction and the process group is unchanged.
constexpr const char* prlimit_path = "/usr/bin/prlimit";

// A node killed with SIGKILL cannot kill its children, and a tool left running would keep
// writing into a worktree that the next node restores and reruns. util-linux setpriv(1) sets
// the parent-death signal and execs the program under the same pid, so the kernel kills the
// child when the runner thread that spawned it dies. Used when installed.
constexpr const char* setpriv_path = "/usr/bin/setpriv";

// After the leader exits, output still in the pipes is read for at most this long: only a
// process that left the group can keep a pipe open past the group's SIGKILL.
constexpr milliseconds drain_limit{1000};

// The poll period while group members are being reaped (their exit wakes nothing) or while a
// leader is watched without a pidfd.
constexpr milliseconds tick{5};

// Reads at most this many chunks per wakeup, so one fast writer cannot starve the other runs.
constexpr int max_chunks_per_wakeup = 16;

// The state of one spawned child; owned by the runner thread.
struct child {
  process_runner::run_id id = 0;
  process_runner::completion done;
  process_result result;
  size_t output_cap = 0;
  milliseconds kill_grace{0};
  int pidfd = -1; // -1 when pidfd_open is unavailable: the leader is then polled every tick
  int out_fd = -1;
  int err_fd = -1;
  steady::time_point started;
  steady::time_point term_at = steady::time_point::max();
  steady::time_point kill_at = steady::time_point::max();
  steady::time_point drain_until = steady::time_point::max();
  bool terminating = false; // the group got SIGTERM (timeout or cancel)
  bool killed = false;
  bool leader_reaped = false;
  bool group_reaped = false;
};

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> lookup(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& entry : env)
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  return std::nullopt;
}

std::vector<std::string> build_env(const process_spec& spec) {
  std::vector<std::string> env;
  auto set = [&env](const std::string& name, const std::string& value) {
    auto found = std::find_if(env.begin(), env.end(), [&name](const std::string& entry) {
      return entry.compare(0, name.size() + 1, name + "=") == 0;
    });
    if (found != env.end())
      *found = name + "=" + value;
    else
      env.push_back(name + "=" + value);
  };
  for (const auto& name : spec.env_allow)
    if (const char* value = std::getenv(name.c_str());
        value != nullptr && name.find('=') == std::string::npos)
      set(name, value);
  // As a shell would: some tools (astyle) resolve their file arguments through $PWD.
  if (!spec.working_dir.empty() && spec.working_dir[0] == '/')
    set("PWD", spec.working_dir);
  for (const auto& [name, value] : spec.env_extra)
    set(name, value);
  return env;
}

// Returns the file to exec for `program`, or "" when there is none. Relative PATH entries are
// skipped: they would resolve against a working directory the caller may not control.
std::string resolve(const std::string& program, const std::string& path,
                    const std::string& working_dir) {
  if (program.find('/') != std::string::npos) {
    bool relative = program[0] != '/' && !working_dir.empty();
    return is_executable_file(relative ? working_dir + "/" + program : program) ? program : "";
  }
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = std::min(path.find(':', begin), path.size());
    auto candidate = path.substr(begin, end - begin) + "/" + program;
    if (candidate[0] == '/' && is_executable_file(candidate))
      return candidate;
    begin = end + 1;
  }
  return "";
}

// Returns the argv that runs `file` with the arguments of `argv` under `limits`.
std::vector<std::string> under_prlimit(const resource_limits& limits, const std::string& file,
                                       const std::vector<std::string>& argv) {
  std::vector<std::string> result{prlimit_path};
  auto add = [&result](const char* option, uint64_t value) {
    if (value > 0)
      result.push_back(option + std::to_string(value));
  };
  add("--cpu=", limits.cpu_seconds);
  add("--as=", limits.address_space_bytes);
  add("--fsize=", limits.file_size_bytes);
  add("--nproc=", limits.processes);
  result.emplace_back("--");
  result.push_back(file);
  result.insert(result.end(), argv.begin() + 1, argv.end());
  return result;
}

// Spawns `spec` into `c`, or returns why it could not.
caf::error spawn(const process_spec& spec, child& c) {
  if (spec.argv.empty() || spec.argv[0].empty())
    return make_error(
      runtime_errc::invalid_argument,
      "process_spec.argv: expected a program and its arguments, got an empty program");
  const auto& program = spec.argv[0];
  auto failure = [&program](const std::string& why) {
    return make_error(runtime_errc::spawn_failed, "cannot start '" + program + "': " + why);
  };
  struct stat info {};
  if (!spec.working_dir.empty() &&
      (::stat(spec.working_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)))
    return failure("working directory '" + spec.working_dir + "' is not a directory");
  auto env = build_env(spec);
  auto path = lookup(env, "PATH").value_or("/bin:/usr/bin");
  auto file = resolve(program, path, spec.working_dir);
  if (file.empty())
    return failure(program.find('/') != std::string::npos
                     ? "no such executable file"
                     : "no executable file of that name in PATH " + path);
  auto args = spec.argv;
  if (spec.limits.any()) {
    if (!is_executable_file(prlimit_path))
      return failure(std::string{"resource limits need "} + prlimit_path +
                     " (util-linux), which is missing");
    args = under_prlimit(spec.limits, file, spec.argv);
    file = prlimit_path;
  }
  if (is_executable_file(setpriv_path)) {
    std::vector<std::string> wrapped{setpriv_path, "--pdeathsig", "KILL", "--", file};
    wrapped.insert(wrapped.end(), args.begin() + 1, args.end());
    args = std::move(wrapped);
    file = setpriv_path;
  }
  // O_CLOEXEC keeps these pipes out of every other child, including those spawned elsewhere.
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return failure(std::string{"pipe: "} + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(out[0]);
    ::close(out[1]);
    return failure(std::string{"pipe: "} + std::strerror(saved));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // Descriptors this process opened without O_CLOEXEC (sockets, lock files) stay out of tools.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.working_dir.empty())
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
  // The caller's thread may block signals and this process may ignore some (SIGPIPE); both
  // would be inherited across exec, so the child starts with an empty mask and defaults.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  auto argv = detail::exec_args(args);
  auto envp = detail::exec_args(env);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, file.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return failure(std::strerror(rc));
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  c.result.pid = pid;
  c.out_fd = out[0];
  c.err_fd = err[0];
  // A pidfd makes the leader's exit wake poll() without a SIGCHLD handler, which would be
  // process-wide state, and without polling. The pid cannot be reused before we reap it.
  c.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  c.output_cap = spec.output_cap;
  c.kill_grace = spec.kill_grace;
  c.started = steady::now();
  if (spec.timeout.count() > 0)
    c.term_at = c.started + spec.timeout;
  return caf::none;
}

// Reads what `fd` has, keeping up to `cap` bytes in `into`; closes `fd` at end of file.
void read_output(int& fd, std::string& into, bool& truncated, size_t cap) {
  char buffer[65536];
  for (int chunk = 0; chunk < max_chunks_per_wakeup; ++chunk) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close_fd(fd);
      return;
    }
    size_t keep = std::min(static_cast<size_t>(n), cap - std::min(cap, into.size()));
    into.append(buffer, keep);
    truncated = truncated || keep < static_cast<size_t>(n);
  }
}

// Sends SIGTERM to the group of `c` once, and schedules the SIGKILL that follows the grace.
void terminate(child& c, steady::time_point now) {
  if (c.terminating)
    return;
  c.terminating = true;
  c.kill_at = now + c.kill_grace;
  ::kill(-c.result.pid, SIGTERM);
}

// Moves `c` on: reaps an exited leader, signals on deadlines and cancellation, reaps the rest of
// the group.
void advance(child& c, steady::time_point now, bool stopping) {
  pid_t pid = c.result.pid;
  if (!c.leader_reaped) {
    siginfo_t info{};
    int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == pid) {
      // Kill the rest of the group while the leader is an unreaped zombie: its pid, which is
      // also the group id, cannot be reused before waitpid().
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      c.result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      c.result.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    } else if (rc == 0) {
      if (!c.terminating && now >= c.term_at) {
        c.result.timed_out = true;
        terminate(c, now);
      }
      if (c.result.cancelled)
        terminate(c, now);
      if (!c.killed && (stopping || now >= c.kill_at)) {
        c.killed = true;
        ::kill(-pid, SIGKILL);
      }
      return;
    }
    // Reaped just now, or (rc < 0) by someone else, e.g. with SIGCHLD set to SIG_IGN, in which
    // case its status is lost and exit_code stays -1.
    c.leader_reaped = true;
    c.result.duration = std::chrono::duration_cast<milliseconds>(now - c.started);
    c.drain_until = now + drain_limit;
    close_fd(c.pidfd);
  }
  // Members orphaned by the leader reparent to this process (the subreaper), so waitpid on the
  // group reaps them; ECHILD means none is left.
  while (!c.group_reaped) {
    pid_t reaped = ::waitpid(-pid, nullptr, WNOHANG);
    if (reaped == 0) {
      ::kill(-pid, SIGKILL); // one may have forked since the last SIGKILL
      break;
    }
    c.group_reaped = reaped < 0 && errno != EINTR;
  }
}

bool finished(const child& c, steady::time_point now) {
  return c.leader_reaped &&
         ((c.group_reaped && c.out_fd < 0 && c.err_fd < 0) || now >= c.drain_until);
}

// Returns when `c` next needs advance() if none of its descriptors wakes the runner earlier.
steady::time_point next_wakeup(const child& c, steady::time_point now) {
  auto never = steady::time_point::max();
  if (c.leader_reaped)
    return std::min(c.drain_until, c.group_reaped ? never : now + tick);
  auto at = std::min(c.terminating ? never : c.term_at, c.killed ? never : c.kill_at);
  return c.pidfd < 0 ? std::min(at, now + tick) : at;
}

} // namespace

std::string resolve_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  return resolve(program, path != nullptr ? path : "/bin:/usr/bin", {});
}

process_runner::process_runner()
  : wakeup_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wakeup_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "process_runner: eventfd");
  // Orphaned descendants of a run (a shell's background jobs) must reparent here rather than
  // to init, or they could not be reaped by the runner and would stay zombies in containers
  // whose init does not reap.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  thread_ = std::thread([this] { loop(); });
}

process_runner::~process_runner() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake();
  thread_.join();
  ::close(wakeup_fd_);
}

process_runner::run_id process_runner::start(process_spec spec, completion done) {
  run_id id = 0;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    id = ++last_id_;
    pending_.push_back(request{id, std::move(spec), std::move(done)});
  }
  wake();
  return id;
}

void process_runner::cancel(run_id id) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    cancels_.push_back(id);
  }
  wake();
}

caf::expected<process_result> process_runner::run(process_spec spec) {
  if (std::this_thread::get_id() == thread_.get_id())
    return make_error(
      runtime_errc::invalid_argument,
      "process_runner::run: called from a completion, where it would wait for itself");
  std::promise<caf::expected<process_result>> promise;
  auto future = promise.get_future();
  start(std::move(spec),
        [&promise](caf::expected<process_result> result) { promise.set_value(std::move(result)); });
  return future.get();
}

void process_runner::wake() {
  uint64_t one = 1;
  if (::write(wakeup_fd_, &one, sizeof one) < 0) {
    // EAGAIN only: the counter is already non-zero, so the runner wakes up anyway.
  }
}

void process_runner::loop() {
  std::list<child> children;
  for (;;) {
    std::vector<request> requests;
    std::vector<run_id> cancels;
    bool stopping = false;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      requests.swap(pending_);
      cancels.swap(cancels_);
      stopping = stopping_;
    }
    auto cancelled = [&cancels](run_id id) {
      return std::find(cancels.begin(), cancels.end(), id) != cancels.end();
    };
    for (auto& r : requests) {
      // start() queues a run before it returns its id, so a cancel of a run not spawned yet
      // arrives together with the run or later, never in an earlier round.
      if (cancelled(r.id)) {
        process_result never_started;
        never_started.cancelled = true;
        r.done(std::move(never_started));
        continue;
      }
      auto& c = children.emplace_back();
      caf::error error =
        stopping ? make_error(runtime_errc::spawn_failed,
                              "cannot start '" + (r.spec.argv.empty() ? "" : r.spec.argv[0]) +
                                "': the process runner is stopping")
                 : spawn(r.spec, c);
      if (error) {
        children.pop_back();
        r.done(std::move(error));
        continue;
      }
      c.id = r.id;
      c.done = std::move(r.done);
      ++running_;
    }
    for (auto& c : children)
      if (!c.leader_reaped && cancelled(c.id))
        c.result.cancelled = true; // advance() below sends the SIGTERM
    auto now = steady::now();
    auto deadline = steady::time_point::max();
    for (auto it = children.begin(); it != children.end();) {
      advance(*it, now, stopping);
      if (finished(*it, now)) {
        close_fd(it->pidfd);
        close_fd(it->out_fd);
        close_fd(it->err_fd);
        --running_;
        it->done(std::move(it->result));
        it = children.erase(it);
        continue;
      }
      deadline = std::min(deadline, next_wakeup(*it, now));
      ++it;
    }
    if (stopping && children.empty()) {
      std::lock_guard<std::mutex> guard{mutex_};
      if (pending_.empty())
        return;
      continue;
    }
    std::vector<pollfd> fds{{wakeup_fd_, POLLIN, 0}};
    std::vector<std::pair<child*, int>> owners{{nullptr, 0}}; // 1 stdout, 2 stderr, 3 pidfd
    for (auto& c : children) {
      for (auto [fd, which] :
           {std::pair{c.out_fd, 1}, std::pair{c.err_fd, 2}, std::pair{c.pidfd, 3}}) {
        if (fd >= 0) {
          fds.push_back({fd, POLLIN, 0});
          owners.emplace_back(&c, which);
        }
      }
    }
    int timeout = -1;
    if (deadline != steady::time_point::max())
      timeout = static_cast<int>(
        std::max<int64_t>(0, std::chrono::ceil<milliseconds>(deadline - now).count()));
    if (::poll(fds.data(), fds.size(), timeout) <= 0)
      continue; // a deadline passed, or EINTR
    for (size_t i = 1; i < fds.size(); ++i) {
      auto [c, which] = owners[i];
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0 || which == 3)
        continue; // a readable pidfd only needs the next advance()
      if (which == 1)
        read_output(c->out_fd, c->result.out, c->result.out_truncated, c->output_cap);
      else
        read_output(c->err_fd, c->result.err, c->result.err_truncated, c->output_cap);
    }
    uint64_t count = 0;
    if (::read(wakeup_fd_, &count, sizeof count) < 0) {
      // EAGAIN: nobody woke us; the counter was already reset.
    }
  }
}

} // namespace drover::runtime
