#include "runtime/process_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

using namespace std::chrono_literals;

process_spec spec_of(std::vector<std::string> argv) {
  process_spec spec;
  spec.argv = std::move(argv);
  spec.timeout = 30s; // a hung test fails instead of hanging
  return spec;
}

process_spec shell(const std::string& script) {
  return spec_of({"/bin/sh", "-c", script});
}

// True when no process of the group `pgid` exists any more, not even as a zombie.
bool group_is_gone(pid_t pgid) {
  return ::kill(-pgid, 0) == -1 && errno == ESRCH;
}

class ProcessRunnerTest : public ::testing::Test {
protected:
  process_result run_ok(process_spec spec) {
    auto result = runner_.run(std::move(spec));
    if (!result) {
      ADD_FAILURE() << "run failed: " << describe(result.error());
      return {};
    }
    return std::move(*result);
  }

  void expect_spawn_failed(process_spec spec, const std::string& named) {
    auto result = runner_.run(std::move(spec));
    ASSERT_FALSE(result) << "exit code " << result->exit_code;
    EXPECT_TRUE(is(result.error(), runtime_errc::spawn_failed)) << describe(result.error());
    EXPECT_NE(describe(result.error()).find(named), std::string::npos) << describe(result.error());
  }

  process_runner runner_;
};

TEST_F(ProcessRunnerTest, CapturesStdoutStderrAndExitCode) {
  auto result = run_ok(shell("echo hi; echo oops >&2; exit 3"));
  EXPECT_EQ(result.out, "hi\n");
  EXPECT_EQ(result.err, "oops\n");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.out_truncated);
  EXPECT_FALSE(result.err_truncated);
  EXPECT_GT(result.pid, 0);
}

TEST_F(ProcessRunnerTest, FindsProgramsInPath) {
  auto result = run_ok(spec_of({"echo", "found"}));
  EXPECT_EQ(result.out, "found\n");
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(ProcessRunnerTest, NonZeroExitIsAResultNotAnError) {
  auto result = run_ok(spec_of({"/bin/false"}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.term_signal, 0);
}

TEST_F(ProcessRunnerTest, MissingBinaryIsSpawnFailedNamingIt) {
  expect_spawn_failed(spec_of({"drover-no-such-tool", "--version"}), "drover-no-such-tool");
  expect_spawn_failed(spec_of({"/nonexistent/drover-tool"}), "/nonexistent/drover-tool");
}

TEST_F(ProcessRunnerTest, MissingBinaryUnderLimitsIsSpawnFailedNamingIt) {
  auto spec = spec_of({"drover-no-such-tool"});
  spec.limits.cpu_seconds = 5;
  expect_spawn_failed(std::move(spec), "drover-no-such-tool");
}

TEST_F(ProcessRunnerTest, MissingWorkingDirectoryIsSpawnFailedNamingIt) {
  auto spec = spec_of({"/bin/true"});
  spec.working_dir = "/nonexistent/drover-dir";
  expect_spawn_failed(std::move(spec), "/nonexistent/drover-dir");
}

TEST_F(ProcessRunnerTest, EmptyArgvIsInvalidArgument) {
  auto result = runner_.run(spec_of({}));
  ASSERT_FALSE(result);
  EXPECT_TRUE(is(result.error(), runtime_errc::invalid_argument)) << describe(result.error());
}

TEST_F(ProcessRunnerTest, ReportsTheSignalThatKilledTheChild) {
  auto result = run_ok(shell("kill -KILL $$"));
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_FALSE(result.timed_out);
}

TEST_F(ProcessRunnerTest, TimeoutKillsTheWholeGroup) {
  auto spec = shell("sleep 100 & sleep 100; wait");
  spec.timeout = 300ms;
  auto result = run_ok(std::move(spec));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_LT(result.duration, 5s);
  EXPECT_TRUE(group_is_gone(result.pid));
}

TEST_F(ProcessRunnerTest, TimeoutEscalatesToKillAfterGrace) {
  auto spec = shell("trap '' TERM; sleep 100 & sleep 100; wait");
  spec.timeout = 200ms;
  spec.kill_grace = 300ms;
  auto result = run_ok(std::move(spec));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_GE(result.duration, 500ms);
  EXPECT_LT(result.duration, 5s);
  EXPECT_TRUE(group_is_gone(result.pid));
}

/// Starts `spec` on `runner` and returns its id and the future of its completion.
std::pair<process_runner::run_id, std::future<caf::expected<process_result>>>
start_on(process_runner& runner, process_spec spec) {
  auto promise = std::make_shared<std::promise<caf::expected<process_result>>>();
  auto future = promise->get_future();
  auto id = runner.start(std::move(spec), [promise](caf::expected<process_result> result) {
    promise->set_value(std::move(result));
  });
  return {id, std::move(future)};
}

/// Runs a shell that runs `prologue`, starts a child `sleep 100` in its group and waits;
/// cancels the run once the shell waits and returns the result.
process_result cancel_when_running(process_runner& runner, const std::string& prologue,
                                   std::chrono::milliseconds kill_grace) {
  drover::testing::temp_dir dir;
  auto spec = shell(prologue + "; sleep 100 & touch '" + dir / "ready" + "'; wait");
  spec.kill_grace = kill_grace;
  auto [id, future] = start_on(runner, std::move(spec));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!std::ifstream{dir / "ready"} && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(runner.running(), 1u);
  runner.cancel(id);
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready) << "the cancelled run did not end";
  auto result = future.get();
  if (!result) {
    ADD_FAILURE() << describe(result.error());
    return {};
  }
  return std::move(*result);
}

TEST_F(ProcessRunnerTest, CancelStopsTheWholeGroupAndSaysSo) {
  auto result = cancel_when_running(runner_, "true", 2s);
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_LT(result.duration, 5s);
  EXPECT_TRUE(group_is_gone(result.pid));
  EXPECT_EQ(runner_.running(), 0u);
}

TEST_F(ProcessRunnerTest, CancelEscalatesToKillAfterGrace) {
  auto result = cancel_when_running(runner_, "trap '' TERM", 300ms);
  EXPECT_TRUE(result.cancelled);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_GE(result.duration, 300ms);
  EXPECT_LT(result.duration, 5s);
  EXPECT_TRUE(group_is_gone(result.pid));
}

TEST_F(ProcessRunnerTest, CancelBeforeTheSpawnNeverStartsTheProgram) {
  drover::testing::temp_dir dir;
  // The first run's completion holds the runner thread, so the second run is still queued
  // when it is cancelled.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> holding;
  runner_.start(spec_of({"/bin/true"}), [released, &holding](caf::expected<process_result>) {
    holding.set_value();
    released.wait();
  });
  holding.get_future().wait();
  auto [id, future] = start_on(runner_, shell("touch '" + dir / "ran" + "'"));
  runner_.cancel(id);
  release.set_value();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_TRUE(result->cancelled);
  EXPECT_EQ(result->pid, 0);
  EXPECT_EQ(run_ok(spec_of({"/bin/true"})).exit_code, 0) << "the runner goes on after a cancel";
  EXPECT_FALSE(std::ifstream{dir / "ran"}.good()) << "the cancelled program ran";
}

TEST_F(ProcessRunnerTest, CancelOfAFinishedOrUnknownRunChangesNothing) {
  auto [id, future] = start_on(runner_, shell("echo done"));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  runner_.cancel(id);
  runner_.cancel(id + 1000);
  // Ids are never reused: the next run is not the one cancelled above.
  auto result = run_ok(shell("sleep 0.2; echo next"));
  EXPECT_FALSE(result.cancelled);
  EXPECT_EQ(result.out, "next\n");
  EXPECT_EQ(result.exit_code, 0);
}

TEST_F(ProcessRunnerTest, NoChildOutlivesItsRun) {
  auto result = run_ok(shell("sleep 100 & echo started"));
  EXPECT_EQ(result.out, "started\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_LT(result.duration, 5s);
  EXPECT_TRUE(group_is_gone(result.pid));
}

TEST_F(ProcessRunnerTest, KeepsOutputUpToTheCapAndDiscardsTheRest) {
  auto result = run_ok(spec_of({"head", "-c", "5M", "/dev/zero"}));
  EXPECT_EQ(result.out.size(), size_t{1} << 20);
  EXPECT_TRUE(result.out_truncated);
  EXPECT_EQ(result.exit_code, 0); // the child was never blocked on a full pipe
  EXPECT_LT(result.duration, 10s);
  EXPECT_FALSE(result.timed_out);
}

TEST_F(ProcessRunnerTest, CapsStderrSeparately) {
  auto spec = shell("echo out; head -c 5M /dev/zero >&2");
  spec.output_cap = 4096;
  auto result = run_ok(std::move(spec));
  EXPECT_EQ(result.err.size(), 4096u);
  EXPECT_TRUE(result.err_truncated);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_FALSE(result.out_truncated);
}

TEST_F(ProcessRunnerTest, OutputOfExactlyTheCapIsNotTruncated) {
  auto spec = spec_of({"head", "-c", "4096", "/dev/zero"});
  spec.output_cap = 4096;
  auto result = run_ok(std::move(spec));
  EXPECT_EQ(result.out.size(), 4096u);
  EXPECT_FALSE(result.out_truncated);
}

TEST_F(ProcessRunnerTest, StdinIsDevNullNotTheRunnersStdin) {
  // Puts a pipe on this process's stdin for the duration of the run, so that an inherited
  // stdin would show up as "pipe:[...]".
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(0);
  ::dup2(fds[0], 0);
  auto result = runner_.run(spec_of({"readlink", "/proc/self/fd/0"}));
  ::dup2(saved, 0);
  for (int fd : {saved, fds[0], fds[1]})
    ::close(fd);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->out, "/dev/null\n");
}

TEST_F(ProcessRunnerTest, ChildGetsNoDescriptorBeyondStdio) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0); // inheritable: no O_CLOEXEC
  auto result = runner_.run(shell("ls /proc/$$/fd"));
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->out, "0\n1\n2\n");
}

TEST_F(ProcessRunnerTest, EnvironmentHoldsOnlyAllowedAndExtraVariables) {
  ::setenv("DROVER_TEST_SECRET", "hidden", 1);
  auto spec = spec_of({"/usr/bin/env"});
  spec.env_extra = {{"DROVER_TEST_EXTRA", "yes"}};
  auto result = run_ok(spec);
  EXPECT_EQ(result.out.find("DROVER_TEST_SECRET"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("DROVER_TEST_EXTRA=yes\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("PATH=" + std::string{std::getenv("PATH")} + "\n"), std::string::npos)
    << result.out;

  spec.env_allow = {"DROVER_TEST_SECRET"};
  spec.env_extra = {{"DROVER_TEST_EXTRA", "yes"}, {"DROVER_TEST_EXTRA", "twice"}};
  EXPECT_EQ(run_ok(spec).out, "DROVER_TEST_SECRET=hidden\nDROVER_TEST_EXTRA=twice\n");
  ::unsetenv("DROVER_TEST_SECRET");
}

TEST_F(ProcessRunnerTest, RunsInTheWorkingDirectory) {
  drover::testing::temp_dir dir;
  drover::testing::write_file(dir / "marker", "here");
  auto spec = spec_of({"cat", "marker"});
  spec.working_dir = dir.path();
  EXPECT_EQ(run_ok(spec).out, "here");
  // PWD names it too, as a shell would set it.
  spec.argv = {"/usr/bin/env"};
  spec.env_allow = {};
  EXPECT_EQ(run_ok(std::move(spec)).out, "PWD=" + dir.path() + "\n");
}

TEST_F(ProcessRunnerTest, FileSizeLimitStopsLargeWrites) {
  drover::testing::temp_dir dir;
  auto spec = shell("head -c 2M /dev/zero > big");
  spec.working_dir = dir.path();
  spec.limits.file_size_bytes = 1 << 20;
  auto result = run_ok(std::move(spec));
  EXPECT_EQ(result.exit_code, 128 + SIGXFSZ); // the shell reports head's death by SIGXFSZ
  EXPECT_EQ(drover::testing::read_file(dir / "big").size(), size_t{1} << 20);
}

TEST_F(ProcessRunnerTest, CpuLimitKillsABusyLoop) {
  auto spec = shell("while :; do :; done");
  spec.limits.cpu_seconds = 1;
  spec.timeout = 120s; // one second of CPU can take long on a loaded machine
  auto result = run_ok(std::move(spec));
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.term_signal == SIGXCPU || result.term_signal == SIGKILL) << result.term_signal;
}

TEST_F(ProcessRunnerTest, ManyConcurrentRunsAllComplete) {
  constexpr int runs = 50;
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<int, caf::expected<process_result>> results;
  for (int i = 0; i < runs; ++i) {
    auto spec = spec_of({"/bin/sh", "-c", "sleep 0.2; echo \"$0\"; exit \"$1\"",
                         "run-" + std::to_string(i), std::to_string(i % 7)});
    runner_.start(std::move(spec), [&, i](caf::expected<process_result> result) {
      std::lock_guard<std::mutex> guard{mutex};
      results.emplace(i, std::move(result));
      all_done.notify_one();
    });
  }
  std::unique_lock<std::mutex> lock{mutex};
  ASSERT_TRUE(
    all_done.wait_for(lock, 60s, [&] { return results.size() == static_cast<size_t>(runs); }))
    << results.size();
  for (auto& [i, result] : results) {
    ASSERT_TRUE(result) << i << ": " << describe(result.error());
    EXPECT_EQ(result->out, "run-" + std::to_string(i) + "\n");
    EXPECT_EQ(result->exit_code, i % 7);
  }
  EXPECT_EQ(runner_.running(), 0u);
}

TEST_F(ProcessRunnerTest, DestroyingTheRunnerKillsItsChildren) {
  std::promise<caf::expected<process_result>> promise;
  auto future = promise.get_future();
  {
    process_runner runner;
    runner.start(
      spec_of({"/bin/sh", "-c", "sleep 100 & sleep 100"}),
      [&promise](caf::expected<process_result> result) { promise.set_value(std::move(result)); });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (runner.running() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    ASSERT_EQ(runner.running(), 1u);
  }
  ASSERT_EQ(future.wait_for(0s), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_FALSE(result->timed_out);
  EXPECT_TRUE(group_is_gone(result->pid));
}

} // namespace
} // namespace drover::runtime
