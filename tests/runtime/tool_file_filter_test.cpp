#include "runtime/tool_file_filter.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

tool_manifest tool(const std::string& id, std::vector<std::string> patterns) {
  tool_manifest manifest;
  manifest.id = id;
  manifest.source = "tools/" + id + ".yaml";
  manifest.file_patterns = std::move(patterns);
  return manifest;
}

tool_file_filter filter_of(const std::vector<tool_manifest>& chain) {
  auto filter = tool_file_filter::make(chain);
  if (!filter)
    throw std::runtime_error{describe(filter.error())};
  return std::move(*filter);
}

const tool_manifest clang_format = tool("clang-format", {"*.c", "*.h", "*.cpp", "*.hpp"});
const tool_manifest black = tool("black", {"**/*.py"});
const tool_manifest prettier = tool("prettier", {"*.js", "web/**/*.ts"});
const tool_manifest codemod = tool("drover-codemod", {"**/*"});

TEST(ToolFileFilterTest, AToolTakesOnlyTheFilesItsPatternsMatch) {
  const auto filter = filter_of({clang_format});
  EXPECT_TRUE(filter.takes(0, "main.cpp"));
  EXPECT_TRUE(filter.takes(0, "src/deep/util.hpp")) << "a pattern without '/' matches at any depth";
  EXPECT_FALSE(filter.takes(0, "README.md"));
  EXPECT_FALSE(filter.takes(0, "src/main.cpp.orig"));
  EXPECT_THAT(filter.files_for(0, {"b.md", "a.cpp", "x/y.h", "Makefile", "c.c"}),
              ElementsAre("a.cpp", "x/y.h", "c.c"));
}

TEST(ToolFileFilterTest, DoubleStarMatchesAtTheTopLevelAndBelow) {
  const auto filter = filter_of({black, prettier});
  EXPECT_TRUE(filter.takes(0, "setup.py"));
  EXPECT_TRUE(filter.takes(0, "pkg/sub/module.py"));
  EXPECT_FALSE(filter.takes(0, "pkg/module.pyc"));
  EXPECT_TRUE(filter.takes(1, "web/app.ts"));
  EXPECT_TRUE(filter.takes(1, "web/src/app.ts"));
  EXPECT_FALSE(filter.takes(1, "server/app.ts")) << "web/**/*.ts is anchored at web/";
}

TEST(ToolFileFilterTest, AChainGivesAFileOnlyToTheToolsThatMatchIt) {
  const auto filter = filter_of({black, prettier, codemod});
  EXPECT_THAT(filter.tools_for("tools/gen.py"), ElementsAre(0, 2));
  EXPECT_THAT(filter.tools_for("index.js"), ElementsAre(1, 2));
  EXPECT_THAT(filter.tools_for("README.md"), ElementsAre(2));

  const auto without_catch_all = filter_of({black, prettier});
  EXPECT_THAT(without_catch_all.tools_for("README.md"), IsEmpty());
  EXPECT_THAT(without_catch_all.files_for(1, {"a.py", "b.js"}), ElementsAre("b.js"));
}

TEST(ToolFileFilterTest, TheSkipReasonNamesEveryToolAndItsPatterns) {
  EXPECT_EQ(filter_of({clang_format}).skip_reason(),
            "matches no file pattern of clang-format (*.c, *.h, *.cpp, *.hpp)");
  EXPECT_EQ(filter_of({black, prettier}).skip_reason(),
            "matches no file pattern of black (**/*.py); prettier (*.js, web/**/*.ts)");
}

TEST(ToolFileFilterTest, APatternThatIsNoGlobIsRefusedNamingTheToolAndThePattern) {
  auto filter = tool_file_filter::make({black, tool("broken", {"*.py", "src/[ab"})});
  ASSERT_FALSE(filter);
  EXPECT_TRUE(is(filter.error(), runtime_errc::invalid_manifest));
  EXPECT_THAT(describe(filter.error()), HasSubstr("tools/broken.yaml: file_patterns of tool 'broken'"));
  EXPECT_THAT(describe(filter.error()), HasSubstr("src/[ab"));
}

} // namespace
} // namespace drover::runtime
