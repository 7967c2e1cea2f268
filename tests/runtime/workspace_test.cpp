#include "runtime/workspace.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

namespace fs = std::filesystem;
using drover::testing::read_file;
using drover::testing::write_file;
using paths = std::vector<std::string>;

const std::string main_v1 = "int main() { return 0; }\n";
const std::string main_v2 = "int main() { return 1; }\n";
const std::string logo = std::string{"\x89PNG\0\0\x01\x02", 8} + std::string(300, '\xff');

/// A repository of two commits: `first_` and `second_` (HEAD of branch main), which changes
/// src/main.cpp and adds src/extra.cpp; the user's checkout also holds untracked and ignored
/// files, and worktrees go outside it.
class WorkspaceTest : public ::testing::Test {
protected:
  void SetUp() override {
    write_file(repo_ + "/.gitignore", "build/\n*.log\n");
    write_file(repo_ + "/README.md", "readme\n");
    write_file(repo_ + "/top.cpp", "int top;\n");
    write_file(repo_ + "/src/main.cpp", main_v1);
    write_file(repo_ + "/src/util/helper.cpp", "int helper;\n");
    write_file(repo_ + "/src/util/helper.hpp", "int helper();\n");
    write_file(repo_ + "/tools/gen.py", "print()\n");
    write_file(repo_ + "/lit/a*.txt", "star\n");
    write_file(repo_ + "/lit/ab.txt", "ab\n");
    write_file(repo_ + "/space dir/file name.cpp", "int spaced;\n");
    write_file(repo_ + "/assets/logo.bin", logo);
    fs::create_symlink("top.cpp", repo_ + "/link.cpp");
    fs::permissions(repo_ + "/tools/gen.py", fs::perms::owner_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    git(repo_, {"-c", "init.defaultBranch=main", "init", "-q"});
    git(repo_, {"config", "user.name", "Test"});
    git(repo_, {"config", "user.email", "test@localhost"});
    git(repo_, {"config", "commit.gpgsign", "false"});
    commit("first");
    first_ = line(repo_, {"rev-parse", "HEAD"});
    write_file(repo_ + "/src/main.cpp", main_v2);
    write_file(repo_ + "/src/extra.cpp", "int extra;\n");
    commit("second");
    second_ = line(repo_, {"rev-parse", "HEAD"});
    write_file(repo_ + "/notes.txt", "untracked\n");
    write_file(repo_ + "/build/out.cpp", "ignored\n");
    write_file(repo_ + "/debug.log", "ignored\n");
  }

  /// Returns the stdout of git, failing the test when git fails.
  static std::string git(const std::string& cwd, std::vector<std::string> args) {
    auto out = detail::run_git(std::move(args), cwd);
    if (!out) {
      ADD_FAILURE() << describe(out.error());
      return {};
    }
    return *out;
  }

  static std::string line(const std::string& cwd, std::vector<std::string> args) {
    return detail::trim_newlines(git(cwd, std::move(args)));
  }

  void commit(const std::string& message) {
    git(repo_, {"add", "-A"});
    git(repo_, {"commit", "-q", "-m", message});
  }

  /// Returns a workspace at `rev` in `dir`, or nothing after failing the test.
  std::optional<workspace> open(const std::string& rev = "", const std::string& dir = "") {
    auto result = workspace::create(repo_, rev, dir.empty() ? wt_ : dir);
    if (!result) {
      ADD_FAILURE() << describe(result.error());
      return std::nullopt;
    }
    return std::move(*result);
  }

  /// Returns everything `git status` says about the user's checkout, ignored files included.
  std::string user_status() {
    return git(repo_, {"status", "--porcelain", "-z", "--untracked-files=all", "--ignored"}) +
           line(repo_, {"symbolic-ref", "HEAD"}) + line(repo_, {"rev-parse", "HEAD"});
  }

  drover::testing::temp_dir dir_;
  const std::string repo_ = dir_ / "repo";
  const std::string wt_ = dir_ / "jobs/7/worktree";
  std::string first_;
  std::string second_;
};

TEST_F(WorkspaceTest, CreatesDetachedWorktreeAtHead) {
  auto ws = open();
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->base_commit(), second_);
  EXPECT_EQ(ws->root(), fs::canonical(wt_).string());
  EXPECT_EQ(ws->repository(), fs::canonical(repo_).string());
  EXPECT_EQ(read_file(ws->root() + "/src/main.cpp"), main_v2);
  EXPECT_EQ(read_file(ws->root() + "/assets/logo.bin"), logo);
  EXPECT_EQ(line(ws->root(), {"rev-parse", "HEAD"}), second_);
  EXPECT_FALSE(detail::run_git({"symbolic-ref", "-q", "HEAD"}, ws->root())) << "not detached";
  EXPECT_FALSE(fs::exists(ws->root() + "/notes.txt")); // untracked files stay with the user
}

TEST_F(WorkspaceTest, CreatesWorktreeAtOlderCommit) {
  auto by_name = open("HEAD~1");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->base_commit(), first_);
  EXPECT_EQ(read_file(by_name->root() + "/src/main.cpp"), main_v1);
  EXPECT_FALSE(fs::exists(by_name->root() + "/src/extra.cpp"));
  auto by_sha = open(first_.substr(0, 10), dir_ / "other");
  ASSERT_TRUE(by_sha);
  EXPECT_EQ(by_sha->base_commit(), first_);
}

TEST_F(WorkspaceTest, ReusesWorktreeAtTheSameCommitAfterACrash) {
  auto ws = open();
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "edited by a finished item\n");
  auto resumed = open();
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->root(), ws->root());
  EXPECT_EQ(read_file(resumed->root() + "/src/main.cpp"), "edited by a finished item\n");
  auto elsewhere = workspace::create(repo_, first_, wt_);
  ASSERT_FALSE(elsewhere);
  EXPECT_TRUE(is(elsewhere.error(), runtime_errc::invalid_argument)) << describe(elsewhere.error());
}

TEST_F(WorkspaceTest, RecreatesWorktreeWhoseDirectoryWasDeleted) {
  auto ws = open();
  ASSERT_TRUE(ws);
  fs::remove_all(ws->root());
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(read_file(again->root() + "/src/main.cpp"), main_v2);
}

TEST_F(WorkspaceTest, RefusesNonEmptyDirectoryThatIsNoWorktree) {
  write_file(wt_ + "/precious.txt", "keep me\n");
  auto ws = workspace::create(repo_, "", wt_);
  ASSERT_FALSE(ws);
  EXPECT_TRUE(is(ws.error(), runtime_errc::invalid_argument)) << describe(ws.error());
  EXPECT_EQ(read_file(wt_ + "/precious.txt"), "keep me\n");
}

TEST_F(WorkspaceTest, RejectsPathThatIsNoRepository) {
  for (const std::string& path : {dir_ / "plain", dir_ / "missing"}) {
    fs::create_directories(dir_ / "plain");
    auto ws = workspace::create(path, "", wt_);
    ASSERT_FALSE(ws);
    EXPECT_TRUE(is(ws.error(), runtime_errc::not_a_repository)) << describe(ws.error());
    EXPECT_NE(describe(ws.error()).find(path), std::string::npos) << describe(ws.error());
  }
  EXPECT_FALSE(fs::exists(wt_));
}

TEST_F(WorkspaceTest, RejectsRevisionThatNamesNoCommit) {
  auto unknown = workspace::create(repo_, "no-such-rev", wt_);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(is(unknown.error(), runtime_errc::git_failed)) << describe(unknown.error());
  EXPECT_NE(describe(unknown.error()).find("no-such-rev"), std::string::npos);
  auto option = workspace::create(repo_, "--all", wt_);
  ASSERT_FALSE(option);
  EXPECT_TRUE(is(option.error(), runtime_errc::invalid_argument)) << describe(option.error());
  EXPECT_FALSE(fs::exists(wt_));
}

TEST_F(WorkspaceTest, LeavesUserCheckoutUntouched) {
  const auto before = user_status();
  auto ws = open(first_);
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "changed\n");
  fs::remove(ws->root() + "/README.md");
  write_file(ws->root() + "/src/new.cpp", "int fresh;\n");
  ASSERT_TRUE(ws->changed_files());
  ASSERT_TRUE(ws->diff());
  ASSERT_TRUE(ws->commit_to_branch("drover/job-7", "Apply job 7"));
  ASSERT_FALSE(ws->restore({"src/main.cpp"}));
  EXPECT_EQ(user_status(), before);
  EXPECT_EQ(read_file(repo_ + "/src/main.cpp"), main_v2);
  EXPECT_EQ(read_file(repo_ + "/README.md"), "readme\n");
  EXPECT_FALSE(fs::exists(repo_ + "/src/new.cpp"));
}

TEST_F(WorkspaceTest, SelectsTrackedFilesOfTheBaseCommitByGlob) {
  auto ws = open();
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/build/gen.cpp", "ignored\n");
  write_file(ws->root() + "/scratch.cpp", "untracked\n");
  write_file(ws->root() + "/debug.log", "ignored\n");
  auto select = [&](const paths& include, const paths& exclude) {
    auto selected = ws->select_files(include, exclude);
    EXPECT_TRUE(selected) << describe(selected.error());
    return selected ? *selected : paths{};
  };
  EXPECT_EQ(select({"**/*.cpp"}, {}), (paths{"space dir/file name.cpp", "src/extra.cpp",
                                             "src/main.cpp", "src/util/helper.cpp", "top.cpp"}));
  EXPECT_EQ(select({"src/**"}, {"**/util/**"}), (paths{"src/extra.cpp", "src/main.cpp"}));
  EXPECT_EQ(select({"*.py", "*.md"}, {}), (paths{"README.md", "tools/gen.py"}));
  EXPECT_EQ(select({"src/*.?pp", "lit/a[*]*"}, {"*/main.*"}),
            (paths{"lit/a*.txt", "src/extra.cpp"}));
  EXPECT_EQ(select({}, {"**/*.cpp", "*.txt", "*.bin", "/.gitignore"}),
            (paths{"README.md", "src/util/helper.hpp", "tools/gen.py"}));
}

TEST_F(WorkspaceTest, StreamsFilesInPathOrder) {
  auto ws = open();
  ASSERT_TRUE(ws);
  paths visited;
  auto error =
    ws->for_each_file({"src/**"}, {}, [&](std::string_view path) { visited.emplace_back(path); });
  ASSERT_FALSE(error) << describe(error);
  EXPECT_EQ(visited,
            (paths{"src/extra.cpp", "src/main.cpp", "src/util/helper.cpp", "src/util/helper.hpp"}));
}

TEST_F(WorkspaceTest, SelectsThousandsOfFilesAcrossOutputChunks) {
  for (int i = 0; i < 2000; ++i)
    write_file(repo_ + "/many/a_directory_name_long_enough_to_fill_pipes/file_" +
                 std::to_string(10000 + i) + ".cpp",
               "x\n");
  commit("many");
  auto ws = open();
  ASSERT_TRUE(ws);
  auto all = ws->select_files({"many/**"}, {});
  ASSERT_TRUE(all) << describe(all.error());
  EXPECT_EQ(all->size(), 2000u);
  auto some = ws->select_files({"**/file_1??99.cpp"}, {"**/file_100*"});
  ASSERT_TRUE(some) << describe(some.error());
  EXPECT_EQ(some->size(), 19u); // 10199, 10299, ..., 11999 but not 10099
}

TEST_F(WorkspaceTest, RejectsMalformedGlobNamingTheField) {
  auto ws = open();
  ASSERT_TRUE(ws);
  auto selected = ws->select_files({"**/*.cpp"}, {"src/[abc"});
  ASSERT_FALSE(selected);
  EXPECT_TRUE(is(selected.error(), runtime_errc::invalid_argument));
  EXPECT_NE(describe(selected.error()).find("exclude_globs"), std::string::npos)
    << describe(selected.error());
}

TEST_F(WorkspaceTest, RestoresModifiedDeletedAndCreatedFiles) {
  auto ws = open();
  ASSERT_TRUE(ws);
  const auto& root = ws->root();
  write_file(root + "/src/main.cpp", "broken\n");
  fs::remove_all(root + "/src/util");
  write_file(root + "/src/made/by/tool.cpp", "new\n");
  write_file(root + "/top.cpp", "kept change\n");
  write_file(root + "/build/cache.o", "ignored\n");
  auto changed = ws->changed_files();
  ASSERT_TRUE(changed) << describe(changed.error());
  EXPECT_EQ(*changed, (paths{"src/made/by/tool.cpp", "src/main.cpp", "src/util/helper.cpp",
                             "src/util/helper.hpp", "top.cpp"}));
  auto error = ws->restore(
    {"src/main.cpp", "src/util/helper.cpp", "src/util/helper.hpp", "src/made/by/tool.cpp"});
  ASSERT_FALSE(error) << describe(error);
  EXPECT_EQ(read_file(root + "/src/main.cpp"), main_v2);
  EXPECT_EQ(read_file(root + "/src/util/helper.hpp"), "int helper();\n");
  EXPECT_FALSE(fs::exists(root + "/src/made"));
  EXPECT_EQ(read_file(root + "/top.cpp"), "kept change\n");
  changed = ws->changed_files();
  ASSERT_TRUE(changed) << describe(changed.error());
  EXPECT_EQ(*changed, (paths{"top.cpp"}));
}

TEST_F(WorkspaceTest, RestoresTheExecutableBitWithoutWritingTheIndex) {
  auto ws = open();
  ASSERT_TRUE(ws);
  const auto& root = ws->root();
  const auto index = line(root, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
  const auto index_bytes = read_file(index);
  const auto index_time = fs::last_write_time(index);
  // Tools that write a new file and rename it over the old one lose the mode.
  fs::remove(root + "/tools/gen.py");
  write_file(root + "/tools/gen.py", "rewritten\n");
  fs::remove(root + "/README.md");
  auto error = ws->restore({"tools/gen.py", "README.md"});
  ASSERT_FALSE(error) << describe(error);
  EXPECT_EQ(read_file(root + "/tools/gen.py"), "print()\n");
  EXPECT_NE(fs::status(root + "/tools/gen.py").permissions() & fs::perms::owner_exec,
            fs::perms::none);
  EXPECT_EQ(read_file(root + "/README.md"), "readme\n");
  EXPECT_EQ(line(root, {"status", "--porcelain"}), "");
  EXPECT_EQ(read_file(index), index_bytes);
  EXPECT_EQ(fs::last_write_time(index), index_time);
}

TEST_F(WorkspaceTest, RestoreReplacesASymbolicLinkInPlaceOfADirectory) {
  auto ws = open();
  ASSERT_TRUE(ws);
  const auto& root = ws->root();
  const auto outside = dir_ / "outside";
  write_file(outside + "/helper.cpp", "not the worktree's\n");
  fs::remove_all(root + "/src/util");
  fs::create_symlink(outside, root + "/src/util");
  auto error = ws->restore({"src/util/helper.cpp"});
  ASSERT_FALSE(error) << describe(error);
  EXPECT_FALSE(fs::is_symlink(root + "/src/util"));
  EXPECT_EQ(read_file(root + "/src/util/helper.cpp"), "int helper;\n");
  EXPECT_EQ(read_file(outside + "/helper.cpp"), "not the worktree's\n");
}

TEST_F(WorkspaceTest, RestoreTakesPathsLiterally) {
  auto ws = open();
  ASSERT_TRUE(ws);
  for (const auto* path : {"/lit/a*.txt", "/lit/ab.txt", "/space dir/file name.cpp"})
    write_file(ws->root() + path, "edited\n");
  ASSERT_FALSE(ws->restore({"lit/a*.txt", "space dir/file name.cpp"}));
  EXPECT_EQ(read_file(ws->root() + "/lit/a*.txt"), "star\n");
  EXPECT_EQ(read_file(ws->root() + "/space dir/file name.cpp"), "int spaced;\n");
  EXPECT_EQ(read_file(ws->root() + "/lit/ab.txt"), "edited\n");
}

TEST_F(WorkspaceTest, RestoreRejectsPathsOutsideTheRepositoryBeforeTouchingAnything) {
  auto ws = open();
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "edited\n");
  fs::create_symlink(repo_, ws->root() + "/escape");
  for (const std::string bad : {"../repo/README.md", "/etc/hostname", ".git", "src/./main.cpp",
                                "src", "escape/notes.txt", ""}) {
    auto error = ws->restore({"src/main.cpp", bad});
    ASSERT_TRUE(error) << bad;
    EXPECT_TRUE(is(error, runtime_errc::invalid_argument)) << bad << ": " << describe(error);
  }
  EXPECT_EQ(read_file(ws->root() + "/src/main.cpp"), "edited\n");
  EXPECT_EQ(read_file(repo_ + "/notes.txt"), "untracked\n");
}

TEST_F(WorkspaceTest, DiffAppliesToAFreshCloneAtTheBaseCommit) {
  auto ws = open(first_);
  ASSERT_TRUE(ws);
  auto empty = ws->diff();
  ASSERT_TRUE(empty) << describe(empty.error());
  EXPECT_EQ(*empty, "");
  const auto& root = ws->root();
  write_file(root + "/src/main.cpp", "int main() { return 2; }\n");
  fs::remove(root + "/README.md");
  write_file(root + "/src/new.cpp", "int fresh;\n");
  write_file(root + "/assets/logo.bin", logo + std::string{"\0tail", 5});
  write_file(root + "/debug.log", "ignored, so not in the patch\n");
  std::string big; // a patch far larger than a pipe buffer
  for (int i = 0; i < 40000; ++i)
    big += "line " + std::to_string(i) + "\n";
  write_file(root + "/docs/big.txt", big);
  auto patch = ws->diff();
  ASSERT_TRUE(patch) << describe(patch.error());
  EXPECT_EQ(patch->find("debug.log"), std::string::npos);
  const auto clone = dir_ / "clone";
  git(dir_.path(), {"clone", "-q", repo_, clone});
  git(clone, {"checkout", "-q", "--detach", first_});
  write_file(dir_ / "change.patch", *patch);
  auto check = detail::run_git({"apply", "--check", dir_ / "change.patch"}, clone);
  ASSERT_TRUE(check) << describe(check.error());
  git(clone, {"apply", dir_ / "change.patch"});
  for (const auto* path : {"/src/main.cpp", "/src/new.cpp", "/assets/logo.bin", "/docs/big.txt"})
    EXPECT_EQ(read_file(clone + path), read_file(root + path)) << path;
  EXPECT_FALSE(fs::exists(clone + "/README.md"));
}

TEST_F(WorkspaceTest, CommitsChangesToANewBranchOfTheRepository) {
  auto ws = open(first_);
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "changed\n");
  fs::remove(ws->root() + "/README.md");
  write_file(ws->root() + "/src/new.cpp", "int fresh;\n");
  auto sha = ws->commit_to_branch("drover/job-7", "Apply job 7");
  ASSERT_TRUE(sha) << describe(sha.error());
  EXPECT_EQ(line(repo_, {"rev-parse", "refs/heads/drover/job-7"}), *sha);
  EXPECT_EQ(line(repo_, {"rev-parse", *sha + "^"}), first_);
  EXPECT_EQ(git(repo_, {"show", *sha + ":src/main.cpp"}), "changed\n");
  EXPECT_EQ(git(repo_, {"show", *sha + ":src/new.cpp"}), "int fresh;\n");
  EXPECT_FALSE(detail::run_git({"cat-file", "-e", *sha + ":README.md"}, repo_));
  EXPECT_EQ(line(repo_, {"log", "-1", "--format=%an <%ae>|%cn|%s", *sha}),
            "Drover <drover@localhost>|Drover|Apply job 7");
  EXPECT_EQ(line(ws->root(), {"rev-parse", "HEAD"}), first_);
  auto changed = ws->changed_files();
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->size(), 3u); // the worktree keeps its changes for diff() and the report
}

TEST_F(WorkspaceTest, CommitToBranchRefusesExistingOrInvalidBranch) {
  auto ws = open(first_);
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "changed\n");
  for (const std::string name : {"main", "bad..name", "-f", ""}) {
    auto sha = ws->commit_to_branch(name, "Apply");
    ASSERT_FALSE(sha) << name;
    EXPECT_TRUE(is(sha.error(), runtime_errc::invalid_argument)) << describe(sha.error());
  }
  EXPECT_EQ(line(repo_, {"rev-parse", "refs/heads/main"}), second_);
  ASSERT_TRUE(ws->commit_to_branch("drover/once", "Apply"));
  EXPECT_FALSE(ws->commit_to_branch("drover/once", "Apply again"));
  EXPECT_EQ(line(repo_, {"rev-parse", "drover/once^"}), first_);
}

TEST_F(WorkspaceTest, RemoveDeletesTheWorktreeAndKeepsBranches) {
  auto ws = open();
  ASSERT_TRUE(ws);
  write_file(ws->root() + "/src/main.cpp", "changed\n");
  ASSERT_TRUE(ws->commit_to_branch("drover/kept", "Apply"));
  const auto root = ws->root();
  auto error = ws->remove();
  ASSERT_FALSE(error) << describe(error);
  EXPECT_FALSE(fs::exists(root));
  EXPECT_EQ(git(repo_, {"worktree", "list", "--porcelain"}).find(root), std::string::npos);
  EXPECT_TRUE(detail::run_git({"rev-parse", "--verify", "drover/kept"}, repo_));
  EXPECT_FALSE(ws->remove()) << "removing twice is fine";
}

TEST_F(WorkspaceTest, RemoveUnregistersAWorktreeWhoseDirectoryIsGone) {
  auto ws = open();
  ASSERT_TRUE(ws);
  fs::remove_all(ws->root());
  auto error = ws->remove();
  ASSERT_FALSE(error) << describe(error);
  EXPECT_EQ(git(repo_, {"worktree", "list", "--porcelain"}).find(ws->root()), std::string::npos);
}

TEST(WorkspaceGitTest, FailureCarriesGitsMessage) {
  drover::testing::temp_dir dir;
  auto out = detail::run_git({"rev-parse", "--verify", "HEAD"}, dir.path());
  ASSERT_FALSE(out);
  EXPECT_TRUE(is(out.error(), runtime_errc::git_failed));
  EXPECT_NE(describe(out.error()).find("not a git repository"), std::string::npos)
    << describe(out.error());
}

TEST(WorkspaceGitTest, MissingGitIsSpawnFailed) {
  const std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  ::setenv("PATH", "/nonexistent-drover-test", 1);
  auto out = detail::run_git({"--version"}, "/");
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(out);
  EXPECT_TRUE(is(out.error(), runtime_errc::spawn_failed)) << describe(out.error());
}

} // namespace
} // namespace drover::runtime
