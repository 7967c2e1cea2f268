// Resumes a job from the store a killed node left behind, with more items than the coordinator
// reads in one step, and checks the resume invariant: items recorded before the kill never run
// again, items pending or leased at the kill run once, and the job ends with every item counted.

#include "actors/coordinator.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "observability/prometheus_metrics.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::actors {
namespace {

using runtime::item_state;
using testing::temp_dir;

/// Three read steps of the coordinator (1,024 records each) and a bit.
constexpr uint32_t item_count = 2100;

std::string file_name(uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "src/f%05u.txt", index);
  return name;
}

/// A read-only tool that appends the files it is given to `log`, one per line.
std::string logging_tool(const std::string& log) {
  return "id: log-files\n"
         "version: \"1\"\n"
         "description: Appends the names of its files to a log\n"
         "capabilities: [lint]\n"
         "languages: []\n"
         "file_patterns: [\"**/*\"]\n"
         "argv: [sh, -c, 'printf \"%s\\n\" \"$@\" >> \"$0\"', \"" + log + "\", \"{files}\"]\n"
         "files_per_invocation: 1\n"
         "side_effect: read-only\n";
}

class CoordinatorTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::map<std::string, std::string> files;
    for (uint32_t i = 0; i < item_count; ++i)
      files[file_name(i)] = "file " + std::to_string(i) + "\n";
    base_ = testing::make_git_repo(dir_ / "repo", files);
    auto opened = runtime::store::open(dir_ / "store");
    ASSERT_TRUE(opened) << runtime::describe(opened.error());
    db_ = std::move(*opened);
    writer_ = std::make_unique<runtime::checkpoint_writer>(*db_, runtime::durability::process, metrics_);
    ASSERT_FALSE(catalog_.add_yaml(logging_tool(dir_ / "tool.log"), "log-files.yaml"));
    services_.db = db_.get();
    services_.writer = writer_.get();
    services_.runner = &runner_;
    services_.catalog = &catalog_;
    services_.metrics = &metrics_;
    services_.jobs_dir = dir_ / "jobs";
    services_.invokers_per_job = 2;
  }

  /// Stores a running job of one-file items as a node killed mid-run leaves it.
  void store_interrupted_job(const std::map<uint32_t, item_state>& states) {
    job_.id = "j-resume";
    job_.spec.repo = dir_ / "repo";
    job_.spec.include = {"src/*.txt"};
    job_.spec.tools = {"log-files"};
    job_.spec.batch_size = 1;
    job_.state = runtime::job_state::running;
    job_.base_commit = base_;
    job_.items_total = item_count;
    job_.files_total = item_count;
    auto batch = db_->batch();
    for (uint32_t i = 0; i < item_count; ++i) {
      runtime::item_record item{i, {file_name(i)}, item_state::pending, 0, 0};
      auto found = states.find(i);
      if (found != states.end()) {
        item.state = found->second;
        item.epoch = 1;
        item.attempts = 1;
      }
      if (item.state == item_state::done || item.state == item_state::failed) {
        runtime::item_result result;
        result.index = i;
        result.ok = item.state == item_state::done;
        result.tool = "log-files";
        result.tool_version = "1";
        result.files = {{file_name(i), "h", "h"}};
        result.attempts = {{"log-files", "1", result.ok ? "success" : "failure", result.ok ? 0 : 1, 0, 1, ""}};
        result.error = result.ok ? "" : "every tool of the chain failed";
        batch.put(runtime::column::results, runtime::item_key(job_.id, i), runtime::encode(result));
        ++(result.ok ? job_.items_done : job_.items_failed);
      }
      batch.put(runtime::column::items, runtime::item_key(job_.id, i), runtime::encode(item));
    }
    batch.put(runtime::column::jobs, job_.id, runtime::encode(job_));
    ASSERT_FALSE(db_->write(batch));
  }

  /// Runs a coordinator on the stored job until it quits; returns the job as stored then.
  runtime::job_record resume() {
    caf::scoped_actor self{system_};
    self->spawn<caf::detached + caf::monitored>(coordinator, services_, job_.id);
    bool ended = false;
    self->receive([&](caf::down_msg&) { ended = true; },
                  caf::after(std::chrono::seconds{120}) >> [] {});
    EXPECT_TRUE(ended) << "the coordinator did not finish the job within 120 s";
    auto stored = db_->get(runtime::column::jobs, job_.id);
    EXPECT_TRUE(stored);
    auto job = stored ? runtime::decode_job(*stored) : caf::expected<runtime::job_record>{stored.error()};
    EXPECT_TRUE(job);
    return job ? *job : runtime::job_record{};
  }

  /// Returns how often the tool ran on each file.
  std::map<std::string, int> tool_runs() {
    std::map<std::string, int> runs;
    std::istringstream lines{testing::read_file(dir_ / "tool.log")};
    for (std::string line; std::getline(lines, line);)
      ++runs[line];
    return runs;
  }

  temp_dir dir_;
  std::string base_;
  observability::prometheus_metrics metrics_;
  std::unique_ptr<runtime::store> db_;
  std::unique_ptr<runtime::checkpoint_writer> writer_;
  runtime::process_runner runner_;
  runtime::tool_catalog catalog_;
  job_services services_;
  runtime::job_record job_;
  caf::actor_system_config config_;
  caf::actor_system system_{config_};
};

TEST_F(CoordinatorTest, ResumeRunsExactlyTheUnrecordedItemsAcrossReadSteps) {
  // The first 600 items are unrecorded, more than the coordinator keeps pending before it reads
  // the next step, and so are a few on both sides of the steps' boundaries (1,024 and 2,048)
  // and the last one; the rest are recorded.
  std::set<uint32_t> unrecorded = {1023, 1024, 1025, 2047, 2048, 2099};
  for (uint32_t i = 0; i < 600; ++i)
    unrecorded.insert(i);
  std::map<uint32_t, item_state> states;
  for (uint32_t i = 0; i < item_count; ++i)
    if (unrecorded.count(i) == 0)
      states[i] = item_state::done;
  states[5] = item_state::leased;
  states[1024] = item_state::leased;
  states[2048] = item_state::leased;
  states[1500] = item_state::failed;
  store_interrupted_job(states);

  const auto job = resume();

  std::map<std::string, int> expected;
  for (auto index : unrecorded)
    expected[file_name(index)] = 1;
  EXPECT_EQ(tool_runs(), expected);
  EXPECT_EQ(job.items_done, item_count - 1);
  EXPECT_EQ(job.items_failed, 1U);
  // One failed item: the job ends with a report and a patch, and says why it failed.
  EXPECT_EQ(job.state, runtime::job_state::failed);
  EXPECT_NE(job.message.find("1 of 2100 items failed"), std::string::npos) << job.message;
}

TEST_F(CoordinatorTest, ResumeOfAJobWhoseItemsAreAllRecordedOnlyAssemblesIt) {
  std::map<uint32_t, item_state> states;
  for (uint32_t i = 0; i < item_count; ++i)
    states[i] = item_state::done;
  store_interrupted_job(states);

  const auto job = resume();

  EXPECT_TRUE(tool_runs().empty());
  EXPECT_EQ(job.state, runtime::job_state::succeeded) << job.message;
  EXPECT_EQ(job.items_done, item_count);
}

} // namespace
} // namespace drover::actors
