#include "runtime/glob.hpp"

#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

struct glob_case {
  const char* pattern;
  const char* path;
  bool expected;
};

// clang-format off
const glob_case glob_cases[] = {
  // `**/` prefix: any depth, including the top level
  {"**/*.cpp", "main.cpp", true},
  {"**/*.cpp", "src/main.cpp", true},
  {"**/*.cpp", "src/util/deep/helper.cpp", true},
  {"**/*.cpp", "src/main.hpp", false},
  {"**/*.cpp", "src/main.cpp.orig", false},
  // `/**` suffix: everything under the directory, not the directory itself
  {"src/**", "src/main.cpp", true},
  {"src/**", "src/util/helper.cpp", true},
  {"src/**", "src", false},
  {"src/**", "srcs/main.cpp", false},
  {"src/**", "lib/src/main.cpp", false},
  // `/**/` in the middle: zero or more directories
  {"src/**/helper.cpp", "src/helper.cpp", true},
  {"src/**/helper.cpp", "src/a/b/c/helper.cpp", true},
  {"src/**/helper.cpp", "src/a/b/c/other.cpp", false},
  {"a/**/b/**/c", "a/b/c", true},
  {"a/**/b/**/c", "a/x/b/y/z/c", true},
  {"a/**/b/**/c", "a/x/y/z/c", false},
  {"**/test/**", "test/x.py", true},
  {"**/test/**", "pkg/test/unit/x.py", true},
  {"**/test/**", "pkg/tests/x.py", false},
  // no slash: the basename at any depth
  {"*.py", "setup.py", true},
  {"*.py", "tools/gen/make.py", true},
  {"*.py", "tools/gen/make.pyc", false},
  {"Makefile", "sub/dir/Makefile", true},
  // a slash in the middle anchors at the top
  {"src/*.cpp", "src/main.cpp", true},
  {"src/*.cpp", "src/util/helper.cpp", false},
  {"src/*.cpp", "lib/src/main.cpp", false},
  // a leading slash anchors a single segment
  {"/*.py", "setup.py", true},
  {"/*.py", "tools/setup.py", false},
  // a pattern matching a directory covers its contents; a trailing slash only them
  {"build", "build/out/app.o", true},
  {"build", "src/build/app.o", true},
  {"build/", "src/build/app.o", true},
  {"build/", "build", false},
  {"src/gen", "src/gen/a.cpp", true},
  {"src/gen", "src/generated/a.cpp", false},
  // `*` and `?` never cross a slash
  {"src/*", "src/util/helper.cpp", true},  // matches the directory src/util
  {"src/*.cpp", "src/util/x.cpp", false},
  {"a?c", "abc", true},
  {"a?c", "ac", false},
  {"/a?c", "a/c", false},
  {"*", ".hidden", true},
  {"*.txt", "notes.txt.bak", false},
  {"a*b*c", "aXXbYYbZc", true},
  {"a*b*c", "aXXbYYbZ", false},
  {"a**b", "aXb", true},  // `**` inside a segment acts like `*`
  {"/a**b", "a/b", false},
  // character classes
  {"file[abc].txt", "fileb.txt", true},
  {"file[abc].txt", "filed.txt", false},
  {"file[a-c].txt", "filec.txt", true},
  {"file[!a-c].txt", "filed.txt", true},
  {"file[!a-c].txt", "fileb.txt", false},
  {"file[^a-c].txt", "fileb.txt", false},
  {"file[]x].txt", "file].txt", true},
  {"file[0-9][0-9].log", "file42.log", true},
  {"file[0-9][0-9].log", "file4x.log", false},
  // escapes
  {"\\*.txt", "*.txt", true},
  {"\\*.txt", "a.txt", false},
  {"what\\?", "what?", true},
  {"what\\?", "whatX", false},
  // literal segments are exact and case-sensitive
  {"README.md", "README.md", true},
  {"README.md", "readme.md", false},
  {"docs/README.md", "docs/README.md", true},
  {"docs/README.md", "docs/README.md/extra", true},
  {"**", "anything/at/all", true},
  {"**", "", false},
};
// clang-format on

TEST(GlobTest, MatchesLikeGitignore) {
  for (const auto& row : glob_cases)
    EXPECT_EQ(glob_match(row.pattern, row.path), row.expected)
      << "pattern '" << row.pattern << "', path '" << row.path << "'";
}

TEST(GlobTest, RejectsMalformedPatternsNamingThem) {
  for (const char* pattern : {"", "/", "a//b", "src/[abc", "trailing\\"}) {
    auto compiled = glob::parse(pattern);
    ASSERT_FALSE(compiled) << pattern;
    EXPECT_TRUE(is(compiled.error(), runtime_errc::invalid_argument)) << pattern;
    EXPECT_NE(describe(compiled.error()).find("'" + std::string{pattern} + "'"), std::string::npos)
      << describe(compiled.error());
    EXPECT_FALSE(glob_match(pattern, "src/[abc")) << pattern;
  }
}

TEST(GlobTest, CompiledPatternMatchesManyPaths) {
  auto compiled = glob::parse("src/**/*.[ch]pp");
  ASSERT_TRUE(compiled) << describe(compiled.error());
  EXPECT_EQ(compiled->pattern(), "src/**/*.[ch]pp");
  EXPECT_TRUE(compiled->matches("src/a.cpp"));
  EXPECT_TRUE(compiled->matches("src/x/y/a.hpp"));
  EXPECT_FALSE(compiled->matches("src/x/y/a.ipp"));
  EXPECT_FALSE(compiled->matches("lib/a.cpp"));
}

TEST(GlobTest, StaysLinearOnPathologicalPatterns) {
  // A backtracking matcher takes exponential time here; this one finishes instantly.
  const std::string pattern = "**/a*a*a*a*a*a*a*a*a*a*a*b";
  const std::string path = "x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x/" + std::string(200, 'a');
  EXPECT_FALSE(glob_match(pattern, path));
  EXPECT_TRUE(glob_match(pattern, path + "b"));
}

} // namespace
} // namespace drover::runtime
