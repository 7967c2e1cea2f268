// The coordinator's leases as invokers on other nodes see them: a result for a lease that has
// ended (its holder asked again, or its node died) is rejected and its content never reaches the
// worktree; an accepted result's content does, and only when it matches its hash.

#include "actors/coordinator.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "observability/prometheus_metrics.hpp"
#include "runtime/content_hash.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::actors {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;

constexpr const char* tool = "id: mark\nversion: \"1\"\ndescription: Marks files\ncapabilities: [fix]\n"
                             "languages: []\nfile_patterns: [\"**/*\"]\nargv: [\"true\", \"{files}\"]\n"
                             "side_effect: writes-files\n";

class CoordinatorLeaseTest : public ::testing::Test {
protected:
  void SetUp() override {
    testing::make_git_repo(dir_ / "repo", {{"a.txt", "a\n"}, {"b.txt", "b\n"}});
    auto opened = runtime::store::open(dir_ / "store");
    ASSERT_TRUE(opened) << runtime::describe(opened.error());
    db_ = std::move(*opened);
    writer_ = std::make_unique<runtime::checkpoint_writer>(*db_, runtime::durability::process, metrics_);
    ASSERT_FALSE(catalog_.add_yaml(tool, "mark.yaml"));
    job_services services;
    services.db = db_.get();
    services.writer = writer_.get();
    services.runner = &runner_;
    services.catalog = &catalog_;
    services.metrics = &metrics_;
    services.node_id = "n1";
    services.jobs_dir = dir_ / "jobs";
    services.invokers_per_job = 0; // the test is the only invoker, as if on other nodes
    runtime::job_record job;
    job.id = "j-lease";
    job.spec.repo = dir_ / "repo";
    job.spec.tools = {"mark"};
    job.spec.batch_size = 1;
    ASSERT_FALSE(db_->put(runtime::column::jobs, job.id, runtime::encode(job)));
    coordinator_ = system_.spawn<caf::detached>(coordinator, services, job.id);
  }

  void TearDown() override { caf::anon_send_exit(coordinator_, caf::exit_reason::user_shutdown); }

  runtime::lease_grant lease(const std::string& holder) {
    runtime::lease_grant grant;
    // A request waits up to two seconds for an item while the job is being planned.
    for (int attempt = 0; attempt < 10 && grant.status != runtime::lease_status::granted; ++attempt)
      self_->request(coordinator_, 5s, runtime::lease_request{"j-lease", holder})
        .receive([&](const runtime::lease_grant& answer) { grant = answer; },
                 [](const caf::error& error) { FAIL() << runtime::describe(error); });
    EXPECT_EQ(grant.status, runtime::lease_status::granted);
    return grant;
  }

  /// Reports `grant` done by `holder`, its one file now holding `content`.
  bool report(const std::string& holder, const runtime::lease_grant& grant, const std::string& content,
              const std::string& claimed_hash = "") {
    const auto& path = grant.files.at(0);
    const auto hash = claimed_hash.empty() ? runtime::content_hash(content) : claimed_hash;
    runtime::item_result result;
    result.index = grant.index;
    result.ok = true;
    result.tool = "mark";
    result.files = {{path, runtime::content_hash(path.substr(0, 1) + "\n"), hash}};
    result.node = holder.substr(0, holder.find('#'));
    bool accepted = false;
    self_->request(coordinator_, 5s,
                   runtime::item_report{"j-lease", holder, grant.epoch, result, {{path, hash, content}}})
      .receive([&](const runtime::report_ack& ack) { accepted = ack.accepted; },
               [](const caf::error& error) { FAIL() << runtime::describe(error); });
    return accepted;
  }

  std::string in_worktree(const std::string& path) {
    return testing::read_file(dir_ / ("jobs/j-lease/worktree/" + path));
  }

  temp_dir dir_;
  observability::prometheus_metrics metrics_;
  std::unique_ptr<runtime::store> db_;
  std::unique_ptr<runtime::checkpoint_writer> writer_;
  runtime::process_runner runner_;
  runtime::tool_catalog catalog_;
  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  caf::actor coordinator_;
};

TEST_F(CoordinatorLeaseTest, ResultOfALeaseItsHolderGaveUpIsRejectedAndNeverWritten) {
  const auto first = lease("n2#7");
  const auto second = lease("n2#7"); // asking again gives up the first lease
  ASSERT_EQ(second.index, first.index);
  ASSERT_GT(second.epoch, first.epoch);
  const auto path = first.files.at(0);
  EXPECT_FALSE(report("n2#7", first, "stale\n"));
  EXPECT_EQ(in_worktree(path), path.substr(0, 1) + "\n");
  EXPECT_TRUE(report("n2#7", second, "fresh\n"));
  EXPECT_EQ(in_worktree(path), "fresh\n");
  EXPECT_FALSE(report("n2#7", second, "again\n")) << "a result is accepted once";
  EXPECT_EQ(in_worktree(path), "fresh\n");
}

TEST_F(CoordinatorLeaseTest, DeadNodeLosesItsLeasesAndItsLateResultIsRejected) {
  const auto lost = lease("n2#7");
  caf::anon_send(coordinator_, runtime::member_info{"n2", "tcp://127.0.0.1:1", 1, runtime::member_state::dead, 0, 0});
  const auto again = lease("n3#1");
  EXPECT_EQ(again.index, lost.index);
  EXPECT_GT(again.epoch, lost.epoch);
  EXPECT_FALSE(report("n2#7", lost, "late\n"));
  EXPECT_TRUE(report("n3#1", again, "done\n"));
  EXPECT_EQ(in_worktree(lost.files.at(0)), "done\n");
}

TEST_F(CoordinatorLeaseTest, ContentThatDoesNotMatchItsHashIsRejected) {
  const auto grant = lease("n2#7");
  EXPECT_FALSE(report("n2#7", grant, "tampered\n", runtime::content_hash("something else\n")));
  EXPECT_EQ(in_worktree(grant.files.at(0)), grant.files.at(0).substr(0, 1) + "\n");
}

TEST_F(CoordinatorLeaseTest, SomeoneElsesResultIsRejected) {
  const auto grant = lease("n2#7");
  EXPECT_FALSE(report("n3#1", grant, "not mine\n")) << "only the holder may report its lease";
}

} // namespace
} // namespace drover::actors
