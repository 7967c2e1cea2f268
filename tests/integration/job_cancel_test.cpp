// Cancels a job on a running node while its tools hang, and checks what a user relies on: the
// job says cancelled at once, no process of its tools outlives the cancellation by more than
// the kill grace, and nothing is retried or falls back afterwards.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/drover_process.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/running_node.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// Returns the pids of the processes, zombies included, whose process group is `group`.
std::vector<pid_t> group_members(pid_t group) {
  std::vector<pid_t> members;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc"}) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const auto stat = read_file(entry.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos)
      continue; // the process ended while the directory was listed
    std::istringstream fields{stat.substr(close + 1)};
    std::string state;
    pid_t parent = 0;
    pid_t process_group = 0;
    if (fields >> state >> parent >> process_group && process_group == group)
      members.push_back(std::stoi(name));
  }
  return members;
}

/// Returns the lines of `path`.
std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream text{read_file(path)};
  for (std::string line; std::getline(text, line);)
    lines.push_back(line);
  return lines;
}

/// Waits up to `timeout` for `done` to hold; returns whether it did.
template <class Condition>
bool wait_until(std::chrono::milliseconds timeout, Condition done) {
  for (auto deadline = steady::now() + timeout; !done(); std::this_thread::sleep_for(20ms))
    if (steady::now() >= deadline)
      return false;
  return true;
}

/// Kills what is left of the tools' process groups when the test ends, so that a failing run
/// leaves no process behind (a tool's children outlive a node killed by the test).
struct group_killer {
  std::vector<pid_t> groups;
  ~group_killer() {
    for (auto group : groups)
      if (!group_members(group).empty())
        ::kill(-group, SIGKILL);
  }
};

void write_tool(const std::string& path, const std::string& id, const std::string& body) {
  write_file(path, "id: " + id + "\nversion: '1'\ndescription: test tool " + id
                     + "\ncapabilities: [fix]\nlanguages: []\nfile_patterns: ['**/*']\n"
                       "side_effect: writes-files\nfiles_per_invocation: 1\n" + body + "\n");
}

TEST(JobCancelTest, CancelKillsTheRunningToolsWithoutRetryOrFallback) {
  temp_dir dir;
  make_git_repo(dir / "repo", {{"a.txt", "one\n"}, {"b.txt", "two\n"}});
  // A tool that ignores SIGTERM, so that only the SIGKILL after the grace stops it, with a child
  // in its process group; it records "LEADER CHILD" (the leader's pid is the group id).
  write_file(dir / "hang.sh", "trap '' TERM\nsleep 600 &\necho \"$$ $!\" >> \"$1\"\nwait\n");
  write_tool(dir / "tools/hangs.yaml", "hangs",
             "argv: [sh, '" + dir / "hang.sh" + "', '" + dir / "started" + "', '{files}']\n"
             "retry: {attempts: 3, initial_backoff_ms: 10, max_backoff_ms: 10, "
             "retry_on: [timeout, failure, crash, spawn-failed]}");
  write_tool(dir / "tools/marks.yaml", "marks",
             "argv: [sh, -c, 'echo ran >> \"$0\"', '" + dir / "fallback-ran" + "', '{files}']");
  running_node node{dir / "data", dir / "node", {"--invokers", "2", "--tools-dir", dir / "tools"}};
  const auto id = node.submit({{"repo", dir / "repo"},
                               {"include", {"*.txt"}},
                               {"tools", {"hangs", "marks"}},
                               {"batch_size", 1}});

  // Both items run at once, one per invoker.
  ASSERT_TRUE(wait_until(30s, [&] { return lines_of(dir / "started").size() == 2; }))
    << node.get("/v1/jobs/" + id).dump(2);
  group_killer tools;
  auto& groups = tools.groups;
  std::vector<pid_t> pids;
  for (const auto& line : lines_of(dir / "started")) {
    std::istringstream fields{line};
    pid_t leader = 0;
    pid_t child = 0;
    ASSERT_TRUE(fields >> leader >> child) << line;
    groups.push_back(leader);
    pids.insert(pids.end(), {leader, child});
  }
  for (auto group : groups)
    ASSERT_EQ(group_members(group).size(), 2U) << "the tool of group " << group << " is not running";

  const auto cancelled_at = steady::now();
  std::string out;
  std::string err;
  ASSERT_EQ(run_drover({"jobs", "cancel", id, "--data-dir", dir / "data"}, out, err), 0) << err;
  EXPECT_EQ(out, "job " + id + " cancelled\n");
  EXPECT_EQ(node.get("/v1/jobs/" + id).value("state", ""), "cancelled");

  // SIGTERM is ignored: the group goes at the SIGKILL, a grace (2 s) after the cancel.
  EXPECT_TRUE(wait_until(10s, [&] {
    for (auto group : groups)
      if (!group_members(group).empty())
        return false;
    return true;
  })) << "a process of the cancelled tools outlived the cancellation";
  EXPECT_LT(steady::now() - cancelled_at, 8s);
  for (auto pid : pids)
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid))) << pid;

  // The job's worktree goes once its invokers have quit, so nothing of the job runs after this.
  EXPECT_TRUE(wait_until(10s, [&] { return !std::filesystem::exists(dir / ("data/jobs/" + id + "/worktree")); }));
  EXPECT_EQ(lines_of(dir / "started").size(), 2U) << "a cancelled item was retried";
  EXPECT_FALSE(std::filesystem::exists(dir / "fallback-ran")) << "a cancelled item fell back";
  const auto job = node.get("/v1/jobs/" + id);
  EXPECT_EQ(job.value("state", ""), "cancelled") << job.dump(2);
  EXPECT_EQ(job.value("message", ""), "cancelled by request");
  EXPECT_FALSE(node.get("/v1/node").is_null()) << "the node stopped";
}

} // namespace
} // namespace drover::testing
