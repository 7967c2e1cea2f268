// Runs `drover batch` as a user would (embedded node, real tools) and checks what they see.

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/detail/git.hpp"
#include "tests/testing/drover_process.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

/// A repository with a few files and a directory of test tool manifests.
class BatchTest : public ::testing::Test {
protected:
  void SetUp() override {
    base_ = make_git_repo(dir_ / "repo", {{"a/one.txt", "old_call(1)\n"},
                                          {"a/two.txt", "old_call(2)\nkeep\n"},
                                          {"b/three.md", "old_call(3)\n"},
                                          {".gitignore", "ignored/\n"}});
    write_file(dir_ / "repo/ignored/four.txt", "old_call(4)\n");
    write_tool("hangs", R"(argv: [sh, -c, "sleep 1000", sh, "{files}"]
timeout_seconds: 1
retry: {attempts: 2, initial_backoff_ms: 10, max_backoff_ms: 10, retry_on: [timeout]})");
    write_tool("noisy", R"(argv: [sh, -c, "head -c 104857600 /dev/zero; exit 1", sh, "{files}"]
exit_codes: {success: [0], findings: [1]})");
    write_tool("breaks", R"(argv: [sh, -c, "echo broken > \"$1\"; echo it failed >&2; exit 3", sh, "{file}", "{args}"]
files_per_invocation: 1
retry: {attempts: 1})");
    write_tool("txt-codemod", R"(argv: [drover, codemod, "{args}", "--", "{files}"])", "['*.txt']");
    write_tool("md-mark", R"(argv: [sh, -c, 'for f; do echo md-mark >> "$f"; done', sh, "{files}"])", "['*.md']");
    write_tool("txt-mark", R"(argv: [sh, -c, 'for f; do echo txt-mark >> "$f"; done', sh, "{files}"])", "['**/*.txt']");
  }

  void write_tool(const std::string& id, const std::string& body, const std::string& patterns = "['**/*']") {
    write_file(dir_ / ("tools/" + id + ".yaml"),
               "id: " + id + "\nversion: '1'\ndescription: test tool " + id + "\ncapabilities: [fix]\nlanguages: []\n"
                 "file_patterns: " + patterns + "\nside_effect: writes-files\n" + body + "\n");
  }

  /// Returns the content of `path` on the branch of job `job`.
  std::string on_branch(const nlohmann::json& job, const std::string& path) {
    return git(dir_ / "repo", {"show", "drover/" + job["id"].get<std::string>() + ":" + path});
  }

  /// Runs drover batch with `args`; returns the exit status.
  int batch(std::vector<std::string> args) {
    std::vector<std::string> command{"batch", "--data-dir", dir_ / "data", "--tools-dir", dir_ / "tools"};
    command.insert(command.end(), args.begin(), args.end());
    return run_drover(command, out_, err_, 120s);
  }

  /// Returns the newest job's report.
  nlohmann::json last_job() {
    std::string out;
    std::string err;
    EXPECT_EQ(run_drover({"jobs", "ls", "--json", "--data-dir", dir_ / "data"}, out, err), 0) << err;
    const auto jobs = nlohmann::json::parse(out);
    EXPECT_FALSE(jobs.empty());
    EXPECT_EQ(run_drover({"jobs", "show", jobs.at(0)["id"], "--json", "--data-dir", dir_ / "data"}, out, err), 0);
    return nlohmann::json::parse(out);
  }

  temp_dir dir_;
  std::string base_;
  std::string out_;
  std::string err_;
};

TEST_F(BatchTest, AdviseWritesReportAndPatchAndLeavesTheCheckoutAlone) {
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "**/*.txt", "--tool", "drover-codemod", "--",
                   "--literal", "old_call(", "--to", "new_call("}),
            0)
    << out_ << err_;
  const auto job = last_job();
  EXPECT_EQ(job["state"], "succeeded");
  EXPECT_EQ(job["files"]["total"], 2) << "the ignored file must not be selected";
  EXPECT_EQ(job["files"]["changed"], 2);
  EXPECT_EQ(read_file(dir_ / "repo/a/one.txt"), "old_call(1)\n") << "advise mode changed the checkout";
  EXPECT_EQ(read_file(dir_ / "repo/ignored/four.txt"), "old_call(4)\n");
  const auto patch = job["patch"].get<std::string>();
  EXPECT_NE(read_file(patch).find("+new_call(1)"), std::string::npos);
  git(dir_ / "repo", {"apply", "--check", patch});
  EXPECT_NE(read_file(job["report"]).find("drover-codemod"), std::string::npos);
  EXPECT_EQ(job["changes"].size(), 2U);
  EXPECT_FALSE(job["changes"][0]["hash_before"].get<std::string>().empty());
}

TEST_F(BatchTest, ApplyWritesTheCheckoutAndRefusesDirtyFiles) {
  write_file(dir_ / "repo/a/two.txt", "local edit\n");
  EXPECT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/*.txt", "--tool", "drover-codemod", "--mode",
                   "apply", "--", "--literal", "old_call(", "--to", "new_call("}),
            1);
  EXPECT_NE(last_job()["message"].get<std::string>().find("uncommitted changes"), std::string::npos)
    << last_job().dump(2);
  EXPECT_EQ(read_file(dir_ / "repo/a/two.txt"), "local edit\n");

  git(dir_ / "repo", {"checkout", "--", "a/two.txt"});
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/*.txt", "--tool", "drover-codemod", "--mode",
                   "apply", "--", "--literal", "old_call(", "--to", "new_call("}),
            0)
    << out_ << err_;
  EXPECT_EQ(read_file(dir_ / "repo/a/one.txt"), "new_call(1)\n");
  EXPECT_EQ(read_file(dir_ / "repo/b/three.md"), "old_call(3)\n");
}

TEST_F(BatchTest, ApplyOntoACheckoutThatMovedOnPlacesTheChangesByTheirContext) {
  const std::string lines = "2\n3\n4\n5\n6\n7\n8\n";
  const auto commit = [this](const std::string& message) {
    git(dir_ / "repo", {"-c", "user.name=Test", "-c", "user.email=test@localhost", "commit", "-qam", message});
    return runtime::detail::trim_newlines(git(dir_ / "repo", {"rev-parse", "HEAD"}));
  };
  write_file(dir_ / "repo/a/two.txt", "old_call(2)\n" + lines + "last\n");
  const auto job_base = commit("longer");
  // Committed after the job's base: copying the job's version of the file would undo it.
  write_file(dir_ / "repo/a/two.txt", "old_call(2)\n" + lines + "last, edited later\n");
  commit("later");
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--base", job_base, "--glob", "a/*.txt", "--tool", "drover-codemod",
                   "--mode", "apply", "--", "--literal", "old_call(", "--to", "new_call("}),
            0)
    << out_ << err_;
  EXPECT_EQ(read_file(dir_ / "repo/a/two.txt"), "new_call(2)\n" + lines + "last, edited later\n");
  EXPECT_EQ(read_file(dir_ / "repo/a/one.txt"), "new_call(1)\n");
}

TEST_F(BatchTest, ApplyCarriesFilesAToolAddedBesideItsOwn) {
  write_tool("adds-notes", R"(argv: [sh, -c, 'for f; do echo edited >> "$f"; echo note > "$f.note"; done', sh, "{files}"])",
             "['**/*.txt']");
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/*.txt", "--tool", "adds-notes", "--mode", "apply"}), 0)
    << out_ << err_;
  EXPECT_EQ(read_file(dir_ / "repo/a/one.txt"), "old_call(1)\nedited\n");
  EXPECT_EQ(read_file(dir_ / "repo/a/one.txt.note"), "note\n");
  EXPECT_EQ(read_file(dir_ / "repo/a/two.txt.note"), "note\n");
}

TEST_F(BatchTest, FallsBackToTheNextToolAndRevertsWhatTheFailedOneWrote) {
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/one.txt", "--tool", "breaks", "--tool",
                   "drover-codemod", "--mode", "branch", "--", "--literal", "old_call(", "--to",
                   "new_call("}),
            0)
    << out_ << err_;
  const auto job = last_job();
  ASSERT_EQ(job["changes"].size(), 1U) << job.dump(2);
  EXPECT_EQ(job["changes"][0]["tool"], "drover-codemod");
  EXPECT_NE(job["changes"][0]["tried_first"].get<std::string>().find("breaks (failure)"), std::string::npos);
  EXPECT_EQ(git(dir_ / "repo", {"show", "drover/" + job["id"].get<std::string>() + ":a/one.txt"}),
            "new_call(1)\n")
    << "what the failed tool wrote must be reverted before the fallback ran";
}

TEST_F(BatchTest, FilesThatNoPatternOfTheToolMatchesAreLeftAloneAndReportedAsSkipped) {
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "**/*", "--tool", "txt-codemod", "--mode", "branch", "--",
                   "--literal", "old_call(", "--to", "new_call("}),
            0)
    << out_ << err_;
  const auto job = last_job();
  EXPECT_EQ(job["state"], "succeeded") << job.dump(2);
  EXPECT_EQ(job["files"]["total"], 2);
  EXPECT_EQ(job["files"]["changed"], 2);
  EXPECT_EQ(job["files"]["skipped"], 2);
  EXPECT_EQ(on_branch(job, "a/one.txt"), "new_call(1)\n");
  EXPECT_EQ(on_branch(job, "b/three.md"), "old_call(3)\n") << "a file the tool's patterns do not match was changed";
  EXPECT_EQ(read_file(job["patch"]).find("three.md"), std::string::npos);
  ASSERT_EQ(job["skipped"].size(), 2U) << job.dump(2);
  EXPECT_EQ(job["skipped"][0]["path"], ".gitignore");
  EXPECT_EQ(job["skipped"][1]["path"], "b/three.md");
  EXPECT_EQ(job["skipped"][1]["reason"], "matches no file pattern of txt-codemod (*.txt)");
  const auto report = read_file(job["report"]);
  EXPECT_NE(report.find("## Skipped"), std::string::npos) << report;
  EXPECT_NE(report.find("- `b/three.md`"), std::string::npos) << report;
  EXPECT_NE(report.find("2 given to the tools, 2 changed, 2 skipped"), std::string::npos) << report;
}

TEST_F(BatchTest, AChainGivesEachFileOnlyToTheToolsWhosePatternsMatchIt) {
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "**/*", "--tool", "md-mark", "--tool", "txt-mark",
                   "--mode", "branch"}),
            0)
    << out_ << err_;
  const auto job = last_job();
  EXPECT_EQ(job["state"], "succeeded") << job.dump(2);
  EXPECT_EQ(on_branch(job, "b/three.md"), "old_call(3)\nmd-mark\n");
  EXPECT_EQ(on_branch(job, "a/one.txt"), "old_call(1)\ntxt-mark\n");
  EXPECT_EQ(on_branch(job, "a/two.txt"), "old_call(2)\nkeep\ntxt-mark\n");
  ASSERT_EQ(job["changes"].size(), 3U) << job.dump(2);
  EXPECT_EQ(job["changes"][0]["tool"], "txt-mark");
  EXPECT_EQ(job["changes"][2]["path"], "b/three.md");
  EXPECT_EQ(job["changes"][2]["tool"], "md-mark");
  ASSERT_EQ(job["skipped"].size(), 1U) << job.dump(2);
  EXPECT_EQ(job["skipped"][0]["path"], ".gitignore");
  EXPECT_EQ(job["skipped"][0]["reason"], "matches no file pattern of md-mark (*.md); txt-mark (**/*.txt)");
}

TEST_F(BatchTest, ReportsAToolThatFailsWithItsStderr) {
  EXPECT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/one.txt", "--tool", "breaks"}), 1);
  const auto job = last_job();
  EXPECT_EQ(job["state"], "failed");
  ASSERT_EQ(job["failures"].size(), 1U) << job.dump(2);
  EXPECT_NE(job["failures"][0]["stderr"].get<std::string>().find("it failed"), std::string::npos);
  EXPECT_NE(out_.find("it failed"), std::string::npos) << out_;
  const auto branch_list = git(dir_ / "repo", {"branch", "--list", "drover/*"});
  EXPECT_TRUE(branch_list.empty());
}

TEST_F(BatchTest, AHangingToolIsKilledAtItsTimeoutAndRetried) {
  EXPECT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/one.txt", "--tool", "hangs"}), 1);
  const auto job = last_job();
  EXPECT_EQ(job["state"], "failed");
  EXPECT_EQ(job["tool_stats"]["hangs"]["invocations"], 2) << job.dump(2);
  EXPECT_NE(job["failures"][0]["error"].get<std::string>().find("timeout"), std::string::npos);
}

TEST_F(BatchTest, AToolWriting100MiBIsCappedAndTheNodeStaysSmall) {
  ASSERT_EQ(batch({"--repo", dir_ / "repo", "--glob", "a/*.txt", "--tool", "noisy"}), 0) << err_;
  const auto job = last_job();
  EXPECT_EQ(job["state"], "succeeded");
  EXPECT_LE(job["findings"].get<std::string>().size(), 64U * 1024);
}

TEST_F(BatchTest, BadInputEndsWithAClearMessageAndAJobRecord) {
  struct bad_case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<bad_case> cases{
    {{"--repo", dir_ / "repo", "--glob", "nothing/**", "--tool", "drover-codemod"}, "matches the globs"},
    {{"--repo", dir_.path(), "--glob", "**", "--tool", "drover-codemod"}, "not"},
    {{"--repo", dir_ / "repo", "--glob", "**", "--tool", "no-such-tool"}, "unknown tool 'no-such-tool'"},
    {{"--repo", dir_ / "repo", "--glob", "b/*", "--tool", "txt-codemod"},
     "no tool takes any of the 1 tracked files of " + dir_ / "repo"},
  };
  for (const auto& bad : cases) {
    EXPECT_EQ(batch(bad.args), 1) << bad.message;
    const auto job = last_job();
    EXPECT_EQ(job["state"], "failed") << bad.message;
    EXPECT_NE(job["message"].get<std::string>().find(bad.message), std::string::npos) << job["message"];
    EXPECT_NE(out_.find(bad.message), std::string::npos) << out_;
  }
}

TEST_F(BatchTest, CtrlCStopsAndSaysHowToResumeAndResumeFinishes) {
  std::map<std::string, std::string> many;
  for (int i = 0; i < 400; ++i)
    many["f" + std::to_string(i) + ".txt"] = "old_call(" + std::to_string(i) + ")\n";
  make_git_repo(dir_ / "big", many);
  drover_process batch_run{{"batch", "--data-dir", dir_ / "data", "--repo", dir_ / "big", "--glob",
                            "*.txt", "--tool", "drover-codemod", "--batch-size", "1", "--invokers",
                            "1", "--mode", "branch", "--", "--literal", "old_call(", "--to", "new_call("},
                           dir_ / "interrupted"};
  // 400 tool runs one after another take about 6 s here: the job is under way, not over.
  std::this_thread::sleep_for(1500ms);
  batch_run.signal(SIGINT);
  ASSERT_EQ(batch_run.wait(30s), 130) << batch_run.err();
  const auto err = batch_run.err();
  const auto at = err.find("drover batch --resume ");
  ASSERT_NE(at, std::string::npos) << err;
  const auto id = err.substr(at + 22, err.find(' ', at + 22) - at - 22);
  ASSERT_EQ(run_drover({"batch", "--resume", id, "--data-dir", dir_ / "data"}, out_, err_, 120s), 0)
    << out_ << err_;
  const auto job = last_job();
  EXPECT_EQ(job["state"], "succeeded");
  EXPECT_EQ(job["files"]["changed"], 400);
  EXPECT_EQ(git(dir_ / "big", {"show", "drover/" + id + ":f7.txt"}), "new_call(7)\n");
}

TEST_F(BatchTest, AJobOnAGitUrlRunsInAdviseModeOnly) {
  git(dir_ / "repo", {"clone", "--quiet", "--bare", dir_ / "repo", dir_ / "served.git"});
  const auto url = "file://" + dir_ / "served.git";
  EXPECT_EQ(batch({"--repo", url, "--glob", "**/*.txt", "--tool", "txt-mark", "--mode", "apply"}), 2);
  EXPECT_NE(err_.find("runs in advise mode"), std::string::npos) << err_;
  ASSERT_EQ(batch({"--repo", url, "--glob", "**/*.txt", "--tool", "txt-mark"}), 0) << err_;
  const auto job = last_job();
  EXPECT_EQ(job["repo"], url);
  EXPECT_EQ(job["files"]["changed"], 2);
  EXPECT_NE(read_file(job["patch"]).find("+txt-mark"), std::string::npos);
}

TEST_F(BatchTest, MissingFlagsAreAUsageError) {
  EXPECT_EQ(batch({"--repo", dir_ / "repo"}), 2);
  EXPECT_NE(err_.find("--glob"), std::string::npos) << err_;
}

} // namespace
} // namespace drover::testing
