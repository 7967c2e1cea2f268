#include "apps/codemod.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/text.hpp"

namespace drover::apps {
namespace {

using ::testing::HasSubstr;
using testing::lines_of;
using testing::read_file;
using testing::temp_dir;
using testing::write_file;

codemod_options literal(std::string from, std::string to, std::vector<std::string> files = {"f"}) {
  codemod_options options;
  options.literal = std::move(from);
  options.to = std::move(to);
  options.files = std::move(files);
  return options;
}

codemod_options regex(std::string pattern, std::string to, std::vector<std::string> files = {"f"}) {
  codemod_options options;
  options.regex = std::move(pattern);
  options.to = std::move(to);
  options.files = std::move(files);
  return options;
}

/// Applies the rule of `options` to `content`; fails the test when the rule or rewrite fails.
rewrite_result rewrite(const codemod_options& options, const std::string& content) {
  auto rule = make_codemod_rule(options);
  EXPECT_TRUE(rule) << runtime::describe(rule.error());
  if (!rule)
    return {};
  auto result = rewrite_content(*rule, content);
  EXPECT_TRUE(result) << runtime::describe(result.error());
  return result ? *result : rewrite_result{};
}

ino_t inode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

TEST(CodemodTest, ReplacesEveryLiteralOccurrence) {
  auto result = rewrite(literal("foo", "bar"), "foo(foofoo); fo o");
  EXPECT_EQ(result.content, "bar(barbar); fo o");
  EXPECT_EQ(result.replacements, 3u);
  // A literal replacement is literal: no group references.
  EXPECT_EQ(rewrite(literal("a", "$1$&"), "xa").content, "x$1$&");
  EXPECT_EQ(rewrite(literal("absent", "x"), "text").replacements, 0u);
}

TEST(CodemodTest, ReplacesRegexMatchesWithGroups) {
  auto result = rewrite(regex(R"((\w+)\.get\(\))", "*$1"), "a.get() + bb.get() + c.got()");
  EXPECT_EQ(result.content, "*a + *bb + c.got()");
  EXPECT_EQ(result.replacements, 2u);
  EXPECT_EQ(rewrite(regex("x", "$$"), "axb").content, "a$b");
}

TEST(CodemodTest, AnchorsMatchAtEveryLine) {
  auto result = rewrite(regex(R"(^#include "old/)", "#include \"new/"),
                        "#include \"old/a.h\"\n#include \"old/b.h\"\n// #include \"old/c.h\"\n");
  EXPECT_EQ(result.content, "#include \"new/a.h\"\n#include \"new/b.h\"\n// #include \"old/c.h\"\n");
  EXPECT_EQ(result.replacements, 2u);
}

TEST(CodemodTest, AgreesWithRegexReplaceOnEmptyMatches) {
  for (const std::string content : {"abc", "", "xxaxx\nx"}) {
    SCOPED_TRACE(content);
    EXPECT_EQ(rewrite(regex("x*", "-"), content).content,
              std::regex_replace(content, std::regex{"x*", std::regex::multiline}, "-"));
  }
}

TEST(CodemodTest, RejectsBadOptionsNamingTheOption) {
  struct bad_options {
    codemod_options options;
    std::string expected;
  };
  auto both = literal("a", "b");
  both.regex = "c";
  auto no_rule = literal("a", "b");
  no_rule.literal.reset();
  auto no_to = literal("a", "b");
  no_to.to.reset();
  const std::vector<bad_options> cases{
    {both, "expected exactly one of --literal FROM or --regex PATTERN"},
    {no_rule, "expected exactly one of --literal FROM or --regex PATTERN"},
    {no_to, "--to: missing, expected the replacement"},
    {literal("", "b"), "--literal: expected a non-empty text"},
    {regex("(unclosed", "b"), "--regex '(unclosed': expected an ECMAScript regular expression"},
    {literal("a", "b", {}), "expected at least one file"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.expected);
    auto rule = make_codemod_rule(bad.options);
    ASSERT_FALSE(rule);
    EXPECT_TRUE(runtime::is(rule.error(), runtime::runtime_errc::invalid_argument));
    EXPECT_THAT(runtime::describe(rule.error()), HasSubstr(bad.expected));
    EXPECT_EQ(run_codemod(bad.options), 2);
  }
}

TEST(CodemodTest, RewritesChangedFilesInPlaceKeepingTheirMode) {
  temp_dir dir;
  write_file(dir / "a.txt", "old old\n");
  write_file(dir / "b.txt", "nothing to see\n");
  ASSERT_EQ(::chmod((dir / "a.txt").c_str(), 0751), 0);
  const auto untouched_inode = inode_of(dir / "b.txt");

  EXPECT_EQ(run_codemod(literal("old", "new", {dir / "a.txt", dir / "b.txt"})), 0);

  EXPECT_EQ(read_file(dir / "a.txt"), "new new\n");
  EXPECT_EQ(read_file(dir / "b.txt"), "nothing to see\n");
  struct stat info {};
  ASSERT_EQ(::stat((dir / "a.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0751u);
  EXPECT_EQ(inode_of(dir / "b.txt"), untouched_inode) << "an unchanged file must not be rewritten";
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator{dir.path()})
    ++entries;
  EXPECT_EQ(entries, 2u) << "no temporary file may be left behind";
}

TEST(CodemodTest, RewritesTheTargetOfASymbolicLink) {
  temp_dir dir;
  write_file(dir / "target.txt", "old\n");
  ASSERT_EQ(::symlink("target.txt", (dir / "link.txt").c_str()), 0);

  EXPECT_EQ(run_codemod(literal("old", "new", {dir / "link.txt", dir / "target.txt"})), 0);

  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read_file(dir / "target.txt"), "new\n");
}

TEST(CodemodTest, ChangesNothingWhenAFileCannotBeRead) {
  temp_dir dir;
  write_file(dir / "a.txt", "old\n");

  EXPECT_EQ(run_codemod(literal("old", "new", {dir / "a.txt", dir / "missing.txt"})), 2);
  EXPECT_EQ(run_codemod(literal("old", "new", {dir / "a.txt", dir.path()})), 2);

  EXPECT_EQ(read_file(dir / "a.txt"), "old\n");
}

TEST(CodemodTest, AppendsOneLogLinePerInvocation) {
  temp_dir dir;
  write_file(dir / "a.txt", "x");
  write_file(dir / "b,c.txt", "x");
  auto options = literal("x", "y", {dir / "a.txt", dir / "b,c.txt"});
  options.log_file = dir / "codemod.log";

  ASSERT_EQ(run_codemod(options), 0);
  ASSERT_EQ(::setenv("DROVER_CODEMOD_LOG", (dir / "from-env.log").c_str(), 1), 0);
  options.log_file.reset();
  const auto from_env = run_codemod(options);
  ::unsetenv("DROVER_CODEMOD_LOG");
  ASSERT_EQ(from_env, 0);

  const auto lines = lines_of(read_file(dir / "codemod.log"));
  ASSERT_EQ(lines.size(), 1u);
  std::vector<std::string> fields;
  std::istringstream in{lines[0]};
  for (std::string field; std::getline(in, field, '\t');)
    fields.push_back(field);
  ASSERT_EQ(fields.size(), 3u) << lines[0];
  EXPECT_EQ(fields[0], std::to_string(::getpid()));
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(std::stod(fields[1]), static_cast<double>(now_ms), 60000.0);
  // A comma inside a name is escaped so that the list still splits on commas.
  EXPECT_EQ(fields[2], dir / "a.txt" + "," + dir / "b\\,c.txt");
  EXPECT_EQ(lines_of(read_file(dir / "from-env.log")).size(), 1u);
}

TEST(CodemodTest, ConcurrentInvocationsNeverInterleaveLogLines) {
  temp_dir dir;
  constexpr int processes = 6;
  constexpr int runs = 20;
  // Long lines (many long names) make an interleaved write visible as a malformed line.
  std::vector<std::string> files;
  for (int i = 0; i < 40; ++i) {
    files.push_back(dir / ("file-with-a-rather-long-name-" + std::to_string(i) + ".txt"));
    write_file(files.back(), "unchanged");
  }
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto options = literal("absent", "x", files);
      options.log_file = dir / "codemod.log";
      int failures = 0;
      for (int r = 0; r < runs; ++r)
        failures += run_codemod(options) != 0;
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(child);
  }
  for (auto child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::string expected_names;
  for (const auto& file : files)
    expected_names += (expected_names.empty() ? "" : ",") + file;
  const auto lines = lines_of(read_file(dir / "codemod.log"));
  EXPECT_EQ(lines.size(), static_cast<size_t>(processes * runs));
  for (const auto& line : lines)
    ASSERT_EQ(line.substr(line.rfind('\t') + 1), expected_names) << line;
}

} // namespace
} // namespace drover::apps
