#include "apps/sample_repo.hpp"

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"
#include "runtime/process_runner.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::apps {
namespace {

using ::testing::HasSubstr;
using testing::read_file;
using testing::temp_dir;

sample_repo_options small(uint32_t files = 300, uint64_t seed = 1) {
  sample_repo_options options;
  options.files = files;
  options.seed = seed;
  return options;
}

/// Runs `git -C dir args...`; fails the test and returns "" when git fails.
std::string git(const std::string& dir, std::vector<std::string> args) {
  auto out = runtime::detail::run_git(std::move(args), dir);
  EXPECT_TRUE(out) << runtime::describe(out.error());
  return out ? *out : std::string{};
}

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.insert(line);
  return lines;
}

std::vector<sample_file> plan_of(const sample_repo_options& options) {
  auto plan = plan_sample_repo(options);
  EXPECT_TRUE(plan) << runtime::describe(plan.error());
  return plan ? *plan : std::vector<sample_file>{};
}

/// Returns the planned paths for which `keep` holds.
template <class Predicate>
std::set<std::string> paths_where(const std::vector<sample_file>& plan, Predicate keep) {
  std::set<std::string> paths;
  for (const auto& file : plan)
    if (keep(file))
      paths.insert(file.path);
  return paths;
}

/// Generates the repository of `options` in `dir`; fails the test when that fails.
void generate(const std::string& dir, const sample_repo_options& options) {
  auto error = generate_sample_repo(dir, options);
  ASSERT_FALSE(error) << runtime::describe(error);
}

TEST(SampleRepoTest, SameOptionsGiveTheSameCommit) {
  temp_dir dir;
  generate(dir / "first", small());
  generate(dir / "second", small());
  generate(dir / "other_seed", small(300, 2));
  const auto tree = git(dir / "first", {"rev-parse", "HEAD^{tree}"});
  EXPECT_EQ(git(dir / "second", {"rev-parse", "HEAD^{tree}"}), tree);
  EXPECT_EQ(git(dir / "second", {"rev-parse", "HEAD"}), git(dir / "first", {"rev-parse", "HEAD"}));
  EXPECT_NE(git(dir / "other_seed", {"rev-parse", "HEAD^{tree}"}), tree);
  EXPECT_THAT(git(dir / "first", {"log", "-1", "--format=%an <%ae> %cn"}),
              HasSubstr("Drover Demo <demo@localhost> Drover Demo"));
  EXPECT_EQ(git(dir / "first", {"status", "--porcelain"}), "");
}

TEST(SampleRepoTest, TracksTheRequestedFilesInTheRequestedLanguages) {
  temp_dir dir;
  const auto options = small(3000);
  generate(dir / "repo", options);
  const auto plan = plan_of(options);
  const auto tracked = lines_of(git(dir / "repo", {"ls-files"}));
  EXPECT_EQ(tracked.size(), 3000u);
  EXPECT_EQ(tracked, paths_where(plan, [](const auto&) { return true; }));
  const auto count = [&](const char* prefix, const char* extension) {
    size_t n = 0;
    for (const auto& path : tracked)
      n += path.rfind(prefix, 0) == 0 && path.find(extension) != std::string::npos ? 1 : 0;
    return n;
  };
  EXPECT_NEAR(count("src/", ".cpp") + count("src/", ".hpp"), 1500, 2);
  EXPECT_NEAR(count("src/", ".hpp"), 750, 2);
  EXPECT_NEAR(count("tools/", ".py"), 1050, 2);
  EXPECT_NEAR(count("scripts/", ".sh"), 450, 2);
  EXPECT_EQ(git(dir / "repo", {"ls-files", "-s", "scripts"}).find("100644"), std::string::npos)
    << "shell scripts are executable";
}

TEST(SampleRepoTest, IgnoredBuildDirectoryIsWrittenButNotTracked) {
  temp_dir dir;
  generate(dir / "repo", small());
  const auto ignored =
    lines_of(git(dir / "repo", {"ls-files", "--others", "--ignored", "--exclude-standard"}));
  EXPECT_GE(ignored.size(), 5u);
  for (const auto& path : ignored)
    EXPECT_EQ(path.rfind("build/", 0), 0u) << path;
  EXPECT_THAT(read_file(dir / "repo/build/generated/stub_0.cpp"), HasSubstr("legacy_log("));
  EXPECT_EQ(git(dir / "repo", {"ls-files", "build"}), "");
}

TEST(SampleRepoTest, DeprecatedCallIsInExactlyThePlannedFiles) {
  temp_dir dir;
  const auto options = small(1000);
  generate(dir / "repo", options);
  const auto plan = plan_of(options);
  const auto calling = [&](sample_language language) {
    return paths_where(plan, [&](const sample_file& file) {
      return file.calls_legacy && file.language == language;
    });
  };
  const auto of_language = [&](sample_language language) {
    return paths_where(plan, [&](const sample_file& file) { return file.language == language; });
  };
  const auto grep = [&](const std::string& text) {
    // git grep exits 1 when nothing matches; the expectations below then report the difference.
    auto out = runtime::detail::run_git({"grep", "-l", "-F", text}, dir / "repo");
    return out ? lines_of(*out) : std::set<std::string>{};
  };
  auto code = calling(sample_language::cpp);
  const auto python = calling(sample_language::python);
  code.insert(python.begin(), python.end());
  EXPECT_EQ(grep("legacy_log("), code);
  EXPECT_EQ(grep("legacy_log "), calling(sample_language::shell));
  for (auto language : {sample_language::cpp, sample_language::python, sample_language::shell})
    EXPECT_EQ(calling(language).size(),
              of_language(language).size() * options.legacy_percent / 100);
  // The replacement is there already in files that were migrated before.
  EXPECT_GT(grep("log_event(").size(), code.size() / 2);
}

TEST(SampleRepoTest, DriftingFilesAreTheOnesClangFormatChanges) {
  if (!std::filesystem::exists("/usr/bin/clang-format"))
    GTEST_SKIP() << "clang-format is not installed";
  temp_dir dir;
  const auto options = small(400);
  generate(dir / "repo", options);
  const auto plan = plan_of(options);
  runtime::process_spec spec;
  spec.argv = {"clang-format", "-i", "--style=file"};
  spec.working_dir = dir / "repo";
  for (const auto& file : plan)
    if (file.language == sample_language::cpp)
      spec.argv.push_back(file.path);
  runtime::process_runner runner;
  auto result = runner.run(spec);
  ASSERT_TRUE(result) << runtime::describe(result.error());
  ASSERT_EQ(result->exit_code, 0) << result->err;
  const auto drifting = paths_where(plan, [](const sample_file& file) { return file.drifts; });
  const auto cpp = spec.argv.size() - 3;
  EXPECT_EQ(drifting.size(), cpp * options.drift_percent / 100);
  EXPECT_EQ(lines_of(git(dir / "repo", {"diff", "--name-only"})), drifting);
}

TEST(SampleRepoTest, RefusesBadOptionsAndANonEmptyDirectory) {
  temp_dir dir;
  auto too_small = generate_sample_repo(dir / "repo", small(5));
  EXPECT_TRUE(runtime::is(too_small, runtime::runtime_errc::invalid_argument));
  EXPECT_THAT(runtime::describe(too_small), HasSubstr("at least 10"));
  testing::write_file(dir / "full/x", "x");
  auto full = generate_sample_repo(dir / "full", small());
  EXPECT_TRUE(runtime::is(full, runtime::runtime_errc::invalid_argument));
  EXPECT_THAT(runtime::describe(full), HasSubstr("not empty"));
}

} // namespace
} // namespace drover::apps
