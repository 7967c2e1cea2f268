#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

namespace drover::runtime {

/// Resource limits a child runs under from its program's first instruction; 0 leaves one unset.
/// Applied through /usr/bin/prlimit (util-linux), which execs the program by its resolved path,
/// so under limits the program sees that path as its argv[0].
struct resource_limits {
  uint64_t cpu_seconds = 0;         ///< RLIMIT_CPU: past it the kernel kills the child
  uint64_t address_space_bytes = 0; ///< RLIMIT_AS: larger allocations fail
  uint64_t file_size_bytes = 0;     ///< RLIMIT_FSIZE: a write past it raises SIGXFSZ
  uint64_t processes = 0;           ///< RLIMIT_NPROC: counted per user; root is exempt

  /// Returns true when at least one limit is set.
  bool any() const { return cpu_seconds + address_space_bytes + file_size_bytes + processes > 0; }
};

/// What to run and under which constraints.
struct process_spec {
  /// The program and its arguments, passed as they are (never through a shell). A program
  /// without '/' is searched in the absolute directories of the child's PATH (/bin:/usr/bin
  /// when the child has none); a relative path is taken from `working_dir`.
  std::vector<std::string> argv;
  std::string working_dir; ///< empty: the working directory of this process
  /// The variables copied from this process's environment, when set there. PWD is always the
  /// working directory when that is an absolute path.
  std::vector<std::string> env_allow = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"};
  /// Variables set in the child in addition to (and over) the allowed ones.
  std::vector<std::pair<std::string, std::string>> env_extra;
  std::chrono::milliseconds timeout{0};       ///< 0: none; past it the group gets SIGTERM
  std::chrono::milliseconds kill_grace{2000}; ///< from that SIGTERM to SIGKILL
  size_t output_cap = 1 << 20; ///< bytes kept of stdout and of stderr each; the rest is discarded
  resource_limits limits;
};

/// How a child ended and what it wrote.
struct process_result {
  pid_t pid = 0;          ///< the child's pid, which is also its process group id; 0 when none
  int exit_code = -1;     ///< the exit status, or -1 when a signal killed the child
  int term_signal = 0;    ///< the signal that killed the child, 0 when it exited
  bool timed_out = false; ///< the runner signalled the child because `timeout` passed
  /// process_runner::cancel() asked for the run before its child was seen to end: the group got
  /// SIGTERM (then SIGKILL), or, with pid 0, the child was never spawned.
  bool cancelled = false;
  std::string out;
  std::string err;
  bool out_truncated = false;            ///< stdout was longer than `output_cap`
  bool err_truncated = false;            ///< stderr was longer than `output_cap`
  std::chrono::milliseconds duration{0}; ///< from spawn to the child's exit
};

/// Returns the executable file `program` (an argv[0]) names: itself when it has a '/' and is an
/// executable file, else the first executable file of that name in the absolute directories of
/// this process's PATH; "" when there is none. The runner resolves programs this way too.
std::string resolve_program(const std::string& program);

/// Runs external programs as children, each in its own process group with stdin on /dev/null,
/// and watches all of them from one background thread so that no caller blocks while they run.
/// When a run ends (exit, timeout, cancel() or the runner's destruction) every process left in
/// its group is killed with SIGKILL and reaped before its completion is called.
///
/// Constructing a runner makes this process a child subreaper (PR_SET_CHILD_SUBREAPER, which
/// stays set): orphaned descendants of a run reparent here rather than to init, so the runner
/// can reap them even under an init that does not reap. A descendant that leaves the group
/// (setsid) is neither killed nor reaped, and its pipes are read for at most one second.
///
/// Thread-safe: start(), cancel(), run() and running() may be called from any thread. `mutex_`
/// guards `pending_`, `cancels_`, `last_id_` and `stopping_`; the children themselves belong to
/// the runner thread alone.
/// The runner reads this process's environment, so nothing may call setenv() concurrently.
class process_runner {
public:
  /// Receives the result of one run, on the runner thread. Must not throw and should not block:
  /// every other run waits meanwhile.
  using completion = std::function<void(caf::expected<process_result>)>;

  /// Names one run of this runner for cancel(); never 0, never reused.
  using run_id = uint64_t;

  /// Starts the runner thread. Throws std::system_error when the kernel refuses an eventfd.
  process_runner();

  /// Kills every running group with SIGKILL, calls every outstanding completion (runs already
  /// spawned with their result, queued ones with spawn_failed) and joins the runner thread.
  ~process_runner();

  process_runner(const process_runner&) = delete;
  process_runner& operator=(const process_runner&) = delete;

  /// Queues `spec` and returns at once. `done` is called exactly once on the runner thread with
  /// the result, which covers a non-zero exit, a signal and a timeout alike. It gets
  /// runtime_errc::invalid_argument for an empty argv, and runtime_errc::spawn_failed naming the
  /// program when the program, the working directory or /usr/bin/prlimit (needed for `limits`)
  /// is missing or the spawn fails. Returns the id cancel() takes.
  run_id start(process_spec spec, completion done);

  /// Stops run `id` and returns at once: its process group gets SIGTERM and, `kill_grace` later,
  /// SIGKILL, and its completion reports `cancelled` once the group is gone; a run not spawned
  /// yet is never spawned (its completion reports `cancelled` with pid 0). Does nothing for a
  /// run whose completion was called, or an id this runner never returned.
  void cancel(run_id id);

  /// Runs `spec` like start() and blocks the calling thread until it ends. For command line
  /// tools and tests: never call it from an actor (it would block a scheduler thread) nor from
  /// a completion (it returns runtime_errc::invalid_argument there instead of deadlocking).
  caf::expected<process_result> run(process_spec spec);

  /// Returns the number of children spawned whose completion has not been called yet.
  size_t running() const { return running_.load(); }

private:
  struct request {
    run_id id = 0;
    process_spec spec;
    completion done;
  };

  /// Multiplexes all children until the destructor asks it to stop; runs on `thread_`.
  void loop();

  /// Wakes the runner thread up.
  void wake();

  int wakeup_fd_;
  std::mutex mutex_;
  std::vector<request> pending_; ///< guarded by mutex_: started but not yet spawned
  std::vector<run_id> cancels_;  ///< guarded by mutex_: cancelled, not yet seen by the runner
  run_id last_id_ = 0;           ///< guarded by mutex_
  bool stopping_ = false;        ///< guarded by mutex_
  std::atomic<size_t> running_{0};
  std::thread thread_;
};

} // namespace drover::runtime
