// Tool search through the real binary: a capability job that falls back past a missing tool,
// and outcome statistics that lower a failing tool's rank and survive node restarts.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/drover_process.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

class ToolSearchTest : public ::testing::Test {
protected:
  void SetUp() override {
    make_git_repo(dir_ / "repo", {{"a.txt", "old_call(1)\n"}, {"b.txt", "old_call(2)\n"}});
    std::filesystem::create_directories(dir_ / "tools");
  }

  void write_tool(const std::string& id, const std::string& body) {
    write_file(dir_ / ("tools/" + id + ".yaml"),
               "id: " + id + "\nversion: '1'\ncapabilities: [fix]\nlanguages: []\nfile_patterns: ['*.txt']\n"
                 "side_effect: writes-files\n" + body + "\n");
  }

  /// Runs drover with `args` on this test's data and tools directories (each run is a node of
  /// its own on the same store: a restart); returns the exit status.
  int drover(std::vector<std::string> args) {
    // Before a "--": what follows it belongs to the tool.
    args.insert(std::find(args.begin(), args.end(), "--"), {"--data-dir", dir_ / "data", "--tools-dir", dir_ / "tools"});
    return run_drover(args, out_, err_, 120s);
  }

  /// Returns the ids of the test's own fixers as `query` ranks them.
  std::vector<std::string> ranked_fixers(const std::string& query) {
    EXPECT_EQ(drover({"tools", "search", query, "--capability", "fix", "--lang", "txt", "--json"}), 0) << err_;
    std::vector<std::string> ids;
    const auto reply = nlohmann::json::parse(out_);
    for (const auto& hit : reply["hits"])
      if (hit["id"].get<std::string>().rfind("fixer-", 0) == 0)
        ids.push_back(hit["id"]);
    return ids;
  }

  temp_dir dir_;
  std::string out_;
  std::string err_;
};

TEST_F(ToolSearchTest, CapabilityJobFallsBackPastAMissingTopRankedTool) {
  // Ranks first for "fix" on .txt files (same prior as drover-codemod, earlier id) but is not
  // installed; its probe says so.
  write_tool("aaa-missing-fix", R"(description: a fixer that is not installed
argv: [drover-test-no-such-program, "{args}", "{files}"]
probe: {argv: [drover-test-no-such-program, --version]})");
  ASSERT_EQ(drover({"tools", "probe", "aaa-missing-fix", "drover-codemod"}), 0) << err_;
  EXPECT_NE(out_.find("aaa-missing-fix"), std::string::npos);

  ASSERT_EQ(drover({"batch", "--repo", dir_ / "repo", "--glob", "*.txt", "--capability", "fix", "--lang", "txt",
                    "--mode", "advise", "--json", "--", "--literal", "old_call", "--to", "new_call"}),
            0)
    << err_ << out_;
  const auto report = nlohmann::json::parse(out_);
  EXPECT_EQ(report["state"], "succeeded");
  EXPECT_EQ(report["tools"], nlohmann::json::array({"drover-codemod"}));
  const auto& ranking = report["tool_ranking"];
  ASSERT_GE(ranking.size(), 2U);
  const auto first = ranking[0].get<std::string>();
  EXPECT_EQ(first.rfind("#1 aaa-missing-fix", 0), 0U) << first;
  EXPECT_NE(first.find("skipped: not available on this node"), std::string::npos) << first;
  EXPECT_NE(first.find("drover-test-no-such-program"), std::string::npos) << first;
  const auto second = ranking[1].get<std::string>();
  EXPECT_EQ(second.rfind("#2 drover-codemod", 0), 0U) << second;
  EXPECT_NE(second.find("in the chain as choice 1"), std::string::npos) << second;
  EXPECT_EQ(report["files"]["changed"], 2);
  std::ifstream markdown{report["report"].get<std::string>()};
  const std::string text{std::istreambuf_iterator<char>{markdown}, {}};
  EXPECT_NE(text.find("## Tool chain"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 aaa-missing-fix 1: skipped: not available"), std::string::npos) << text;

  // No candidate at all: the job is refused, saying for what.
  EXPECT_EQ(drover({"batch", "--repo", dir_ / "repo", "--glob", "*.txt", "--capability", "type-check", "--lang",
                    "txt"}),
            2);
  EXPECT_NE(err_.find("no tool to run for capability 'type-check' and language 'txt'"), std::string::npos) << err_;
}

TEST_F(ToolSearchTest, RepeatedFailuresLowerARankAndTheStatisticsSurviveRestarts) {
  write_tool("fixer-a", R"(description: test fixer for text files
argv: [false, "{files}"]
retry: {attempts: 1})");
  write_tool("fixer-b", R"(description: test fixer for text files
argv: [true, "{files}"])");
  ASSERT_EQ(ranked_fixers("test fixer"), (std::vector<std::string>{"fixer-a", "fixer-b"}));

  // fixer-a fails every item and fixer-b, its fallback, does the work: three jobs' worth.
  for (int run = 0; run < 3; ++run)
    ASSERT_EQ(drover({"batch", "--repo", dir_ / "repo", "--glob", "*.txt", "--tool", "fixer-a", "--tool",
                      "fixer-b", "--batch-size", "1"}),
              0)
      << err_;

  // Each search is a new node on the same store: the statistics were persisted.
  EXPECT_EQ(ranked_fixers("test fixer"), (std::vector<std::string>{"fixer-b", "fixer-a"}));
  ASSERT_EQ(drover({"tools", "show", "fixer-a", "--json"}), 0) << err_;
  const auto shown = nlohmann::json::parse(out_);
  EXPECT_NEAR(shown["factors"]["failures"].get<double>(), 6.0, 0.01);
  EXPECT_EQ(shown["factors"]["invocations"], 6);
  EXPECT_LT(shown["factors"]["reliability"].get<double>(), 0.5);
  ASSERT_EQ(drover({"tools", "show", "fixer-b", "--json"}), 0) << err_;
  EXPECT_NEAR(nlohmann::json::parse(out_)["factors"]["successes"].get<double>(), 6.0, 0.01);
}

TEST_F(ToolSearchTest, BadManifestsAndQueriesAreRefusedWithTheReason) {
  write_file(dir_ / "bad.yaml", "id: bad\nversion: '1'\ndescription: x\ncapabilities: [Fix]\n");
  EXPECT_EQ(drover({"tools", "add", dir_ / "bad.yaml"}), 2);
  EXPECT_NE(err_.find("capabilities"), std::string::npos) << err_;
  EXPECT_NE(err_.find("bad.yaml"), std::string::npos) << err_;
  EXPECT_EQ(drover({"tools", "show", "no-such-tool"}), 2);
  EXPECT_NE(err_.find("no tool no-such-tool"), std::string::npos) << err_;

  write_file(dir_ / "good.yaml", "id: added-fixer\nversion: '2'\ndescription: an added fixer of prose\n"
                                 "capabilities: [fix]\nlanguages: []\nfile_patterns: ['*.txt']\n"
                                 "argv: [true, '{files}']\nside_effect: writes-files\n");
  ASSERT_EQ(drover({"tools", "add", dir_ / "good.yaml"}), 0) << err_;
  // Added once, known to every later node on this store.
  ASSERT_EQ(drover({"tools", "search", "prose fixer", "--json"}), 0) << err_;
  EXPECT_EQ(nlohmann::json::parse(out_)["hits"][0]["id"], "added-fixer");
}

} // namespace
} // namespace drover::testing
