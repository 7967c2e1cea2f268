#include "runtime/repository_source.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/workspace.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

using testing::git;
using testing::temp_dir;

TEST(RepositorySourceTest, TellsUrlsFromPaths) {
  for (const auto* url : {"https://example.com/org/repo.git", "ssh://git@host/repo", "git://host/r",
                          "file:///srv/git/repo.git", "git@github.com:org/repo.git"})
    EXPECT_TRUE(is_repository_url(url)) << url;
  for (const auto* path : {"/home/me/repo", "relative/repo", "./a:b", "/srv/git@x:y", ""})
    EXPECT_FALSE(is_repository_url(path)) << path;
}

TEST(RepositorySourceTest, MirrorsAUrlOnceAndFetchesNewCommitsAfter) {
  temp_dir dir;
  testing::make_git_repo(dir / "origin", {{"a.txt", "one\n"}});
  const auto url = "file://" + dir / "origin";
  auto mirror = local_repository(url, dir / "mirrors");
  ASSERT_TRUE(mirror) << describe(mirror.error());
  EXPECT_EQ(mirror->rfind(dir / "mirrors/", 0), 0U);
  auto workspace = workspace::create(*mirror, "", dir / "wt");
  ASSERT_TRUE(workspace) << describe(workspace.error());
  EXPECT_EQ(testing::read_file(dir / "wt/a.txt"), "one\n");

  testing::write_file(dir / "origin/a.txt", "two\n");
  git(dir / "origin", {"commit", "-qam", "two"});
  const auto head = git(dir / "origin", {"rev-parse", "HEAD"});
  auto again = local_repository(url, dir / "mirrors");
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(*again, *mirror);
  EXPECT_EQ(git(*again, {"rev-parse", "HEAD"}), head);
}

TEST(RepositorySourceTest, PathIsItsOwnRepositoryAndABadUrlSaysWhy) {
  temp_dir dir;
  auto path = local_repository(dir / "somewhere", dir / "mirrors");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, dir / "somewhere");
  auto bad = local_repository("file://" + dir / "missing", dir / "mirrors");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), runtime_errc::git_failed)) << describe(bad.error());
  EXPECT_NE(describe(bad.error()).find("cannot clone file://"), std::string::npos) << describe(bad.error());
}

} // namespace
} // namespace drover::runtime
