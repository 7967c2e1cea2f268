// Runs `drover demo` as a user would and checks what it leaves in the sample repository.

#include <filesystem>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/process_runner.hpp"
#include "tests/testing/drover_process.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/text.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

/// Runs `git -C repo args...` and returns its stdout; exit status 1 counts as success with no
/// output (what `git grep` says when nothing matches).
std::string git(const std::string& repo, std::vector<std::string> args) {
  runtime::process_spec spec;
  spec.argv = {"git", "-C", repo};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  runtime::process_runner runner;
  auto result = runner.run(spec);
  EXPECT_TRUE(result) << runtime::describe(result.error());
  if (!result)
    return {};
  EXPECT_LE(result->exit_code, 1) << result->err;
  return result->exit_code == 0 ? result->out : std::string{};
}

/// Returns the files of revision `rev` that contain `text` and end in one of `extensions`.
std::set<std::string> files_containing(const std::string& repo, const std::string& rev,
                                       const std::string& text,
                                       const std::vector<std::string>& extensions) {
  std::set<std::string> files;
  for (const auto& line : lines_of(git(repo, {"grep", "-l", "-F", "-e", text, rev}))) {
    const auto path = line.substr(rev.size() + 1); // "REV:path"
    for (const auto& extension : extensions)
      if (path.size() > extension.size() &&
          path.compare(path.size() - extension.size(), extension.size(), extension) == 0)
        files.insert(path);
  }
  return files;
}

TEST(DemoTest, MigratesTheSampleRepositoryOnABranchAndLeavesTheRestAlone) {
  temp_dir dir;
  const auto data_dir = dir / "data";
  std::string out;
  std::string err;
  ASSERT_EQ(run_drover({"demo", "--files", "300", "--data-dir", data_dir}, out, err, 180s), 0)
    << out << err;
  const auto repo = data_dir + "/demo/repo";

  const auto branches =
    lines_of(git(repo, {"for-each-ref", "--format=%(refname:short)", "refs/heads/drover/"}));
  ASSERT_THAT(branches, SizeIs(1));
  const auto& branch = branches.front();
  const std::vector<std::string> code = {".cpp", ".hpp", ".py"};
  EXPECT_THAT(files_containing(repo, "main", "legacy_log(", code), Not(IsEmpty()));
  EXPECT_THAT(files_containing(repo, branch, "legacy_log(", code), IsEmpty());
  // Shell scripts were not in the job's globs, and the user's checkout stays as it was.
  EXPECT_THAT(files_containing(repo, branch, "legacy_log ", {".sh"}), Not(IsEmpty()));
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), "");
  EXPECT_THAT(read_file(repo + "/build/generated/stub_0.cpp"), HasSubstr("legacy_log("));

  EXPECT_THAT(out, HasSubstr("report  " + data_dir));
  EXPECT_THAT(out, HasSubstr(branch));
  EXPECT_THAT(out, HasSubstr("/metrics"));
  if (std::filesystem::exists("/usr/bin/clang-format")) {
    EXPECT_THAT(out, HasSubstr("tools clang-format"));
  }

  // A second run starts from a fresh sample repository.
  ASSERT_EQ(run_drover({"demo", "--files", "300", "--data-dir", data_dir}, out, err, 180s), 0)
    << out << err;
  EXPECT_THAT(
    lines_of(git(repo, {"for-each-ref", "--format=%(refname:short)", "refs/heads/drover/"})),
    SizeIs(1));
}

} // namespace
} // namespace drover::testing
