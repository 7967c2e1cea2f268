#include "runtime/job_codec.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "schemas/job_generated.h"

namespace drover::runtime {
namespace {

TEST(JobCodecTest, KeepsTheNodeThatRanAResult) {
  item_result result;
  result.index = 3;
  result.ok = true;
  result.tool = "ruff";
  result.files = {{"a.py", "h1", "h2"}};
  result.findings = std::string{"a.py:1 \0 binary", 15};
  result.node = "node-b";
  auto decoded = decode_result(encode(result));
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(decoded->node, "node-b");
  EXPECT_EQ(decoded->index, 3U);
  EXPECT_EQ(decoded->tool, "ruff");
  ASSERT_EQ(decoded->files.size(), 1U);
  EXPECT_EQ(decoded->files[0].hash_after, "h2");
  EXPECT_EQ(decoded->findings, result.findings);
}

TEST(JobCodecTest, ReadsAResultStoredWithoutANodeAsRunByNoNode) {
  // Results stored before `node` existed lack the field.
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(disk::CreateItemResultDirect(builder, 4, true, "ruff"));
  auto decoded = decode_result(
    {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()});
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(decoded->index, 4U);
  EXPECT_EQ(decoded->tool, "ruff");
  EXPECT_EQ(decoded->node, "");
}

} // namespace
} // namespace drover::runtime
