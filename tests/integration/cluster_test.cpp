// Real `drover up` nodes on loopback forming a cluster: a job submitted to one node is run by
// all of them (from a path, or from a git URL each mirrors), a node killed mid-job costs only the items it held, and a coordinator killed and
// restarted finishes its job. The tool appends a line to each file, so an item whose effect
// reached the outcome twice would show as a file with two lines appended.

#include <sstream>

#include <gtest/gtest.h>

#include "tests/testing/cluster_harness.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

constexpr int file_count = 240;

std::string file_name(int i) {
  return "src/m" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".txt";
}

std::string file_content(int i) {
  return "file " + std::to_string(i) + "\n";
}

class ClusterTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::map<std::string, std::string> files;
    for (int i = 0; i < file_count; ++i)
      files[file_name(i)] = file_content(i);
    make_git_repo(dir_ / "repo", files);
    // Slow enough (0.15 s per item of 4 files) that every node gets items before the job ends.
    write_file(dir_ / "tools/slow-mark.yaml",
               "id: slow-mark\nversion: '1'\ndescription: appends a line to each file, slowly\n"
               "capabilities: [fix]\nlanguages: []\nfile_patterns: ['**/*.txt']\n"
               "side_effect: writes-files\nfiles_per_invocation: 4\n"
               "argv: [sh, -c, 'sleep 0.15; for f; do echo marked >> \"$f\"; done', sh, \"{files}\"]\n");
  }

  nlohmann::json job_request(const std::string& mode) const {
    return {{"repo", dir_ / "repo"}, {"include", {"**/*.txt"}}, {"tools", {"slow-mark"}}, {"mode", mode}};
  }

  /// Expects every file of the user's checkout to hold its content plus exactly one mark.
  void expect_each_file_marked_once() {
    int wrong = 0;
    for (int i = 0; i < file_count; ++i)
      if (read_file(dir_ / ("repo/" + file_name(i))) != file_content(i) + "marked\n" && ++wrong <= 3)
        ADD_FAILURE() << file_name(i) << " holds '" << read_file(dir_ / ("repo/" + file_name(i))) << "'";
    EXPECT_EQ(wrong, 0);
  }

  temp_dir dir_;
  cluster_harness cluster_{dir_};
};

TEST_F(ClusterTest, ThreeNodesShareAJobOnAGitUrlAndItsOutcomeEqualsASingleNodeRun) {
  cluster_.start("a", {"--invokers", "2"});
  const auto alone = cluster_.wait_job("a", cluster_.node("a").submit(job_request("advise")));
  ASSERT_EQ(alone["state"], "succeeded") << alone.dump(2);

  cluster_.start("b", {"--invokers", "2"});
  cluster_.start("c", {"--invokers", "2"});
  for (const auto* name : {"a", "b", "c"})
    ASSERT_TRUE(cluster_.wait_members(name, 3, "alive")) << name << " does not see three members";

  // The members reach the repository by URL this time: each mirrors it and checks it out.
  git(dir_ / "repo", {"clone", "--quiet", "--bare", dir_ / "repo", dir_ / "served.git"});
  auto by_url = job_request("advise");
  by_url["repo"] = "file://" + dir_ / "served.git";
  const auto shared = cluster_.wait_job("a", cluster_.node("a").submit(by_url));
  ASSERT_EQ(shared["state"], "succeeded") << shared.dump(2);
  EXPECT_EQ(shared["items"]["done"], alone["items"]["done"]);
  EXPECT_EQ(read_file(shared["patch"]), read_file(alone["patch"]));
  // Busy with the job's tools, no node suspected another.
  for (const auto* name : {"a", "b", "c"})
    EXPECT_EQ(cluster_.node(name).metric("drover_cluster_member_transitions_total{state=\"suspect\"}"), 0)
      << name << " suspected a member that was only busy";
  const auto& shares = shared["items_by_node"];
  ASSERT_EQ(shares.size(), 3U) << shares.dump();
  for (const auto* name : {"a", "b", "c"})
    EXPECT_GT(shares.value(cluster_.node_id(name), 0), 0) << name << " ran no item: " << shares.dump();
}

TEST_F(ClusterTest, KilledWorkerCostsOnlyTheItemsItHeld) {
  for (const auto* name : {"a", "b", "c"})
    cluster_.start(name, {"--invokers", "2"});
  ASSERT_TRUE(cluster_.wait_members("a", 3, "alive"));
  const auto id = cluster_.node("a").submit(job_request("apply"));
  const auto c_id = cluster_.node_id("c");
  ASSERT_TRUE(wait_until(
    [&] {
      for (const auto& member : cluster_.members_in("a", "alive"))
        if (member["node_id"] == c_id && member["items_in_flight"].get<int>() > 0)
          return true;
      return false;
    },
    30s))
    << "node c never held an item";
  cluster_.kill("c");
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(cluster_.wait_members("a", 1, "dead", 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 1500ms) << "a dead process must be noticed within 1 s";

  const auto report = cluster_.wait_job("a", id);
  ASSERT_EQ(report["state"], "succeeded") << report.dump(2);
  EXPECT_EQ(report["items"]["done"], report["items"]["total"]);
  expect_each_file_marked_once();
}

TEST_F(ClusterTest, CoordinatorKilledAndRestartedFinishesTheJob) {
  for (const auto* name : {"a", "b", "c"})
    cluster_.start(name, {"--invokers", "2"});
  ASSERT_TRUE(cluster_.wait_members("a", 3, "alive"));
  const auto id = cluster_.node("a").submit(job_request("apply"));
  ASSERT_TRUE(wait_until(
    [&] {
      const auto job = cluster_.node("a").get("/v1/jobs/" + id);
      return job.is_object() && job["items"]["done"].get<int>() >= 10;
    },
    30s));
  cluster_.kill("a");
  ASSERT_TRUE(cluster_.wait_members("b", 1, "dead", 5s));
  cluster_.start("a", {"--invokers", "2", "--join", cluster_.node("b").listen()}, false);
  const auto report = cluster_.wait_job("a", id);
  ASSERT_EQ(report["state"], "succeeded") << report.dump(2);
  EXPECT_EQ(report["items"]["done"], report["items"]["total"]);
  expect_each_file_marked_once();
}

} // namespace
} // namespace drover::testing
