#include "runtime/tool_stats.hpp"

#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace drover::runtime {
namespace {

using ::testing::ElementsAre;

struct outcome {
  bool ok;
  int64_t latency_ms;
  int64_t at_ms;
};

tool_stats recorded(const std::vector<outcome>& outcomes, const prior_params& params) {
  tool_stats stats;
  for (const auto& o : outcomes)
    stats.record(o.ok, o.latency_ms, o.at_ms, params);
  return stats;
}

TEST(ToolStatsMerge, EqualsOneNodeRecordingEveryOutcomeForTheDecayedWeights) {
  prior_params params;
  params.half_life = std::chrono::milliseconds{1000};
  const std::vector<outcome> on_a{{true, 10, 100}, {false, 20, 900}, {true, 30, 2500}};
  const std::vector<outcome> on_b{{false, 40, 400}, {true, 50, 1800}};
  std::vector<outcome> all{on_a[0], on_b[0], on_a[1], on_b[1], on_a[2]};
  const auto alone = recorded(all, params);
  const auto merged = merge_tool_stats({recorded(on_a, params), recorded(on_b, params)}, params);
  EXPECT_EQ(merged.updated_ms, 2500);
  EXPECT_EQ(merged.invocations, 5U);
  EXPECT_NEAR(merged.successes, alone.successes, 1e-9);
  EXPECT_NEAR(merged.failures, alone.failures, 1e-9);
  EXPECT_NEAR(merged.reliability(4000, params), alone.reliability(4000, params), 1e-9);
  // b's part was last updated first, so its latencies come first.
  EXPECT_THAT(merged.latencies_ms, ElementsAre(40, 50, 10, 20, 30));
}

TEST(ToolStatsMerge, KeepsTheLatestLatencyWindowAndMergesNothingIntoNothing) {
  const prior_params params;
  std::vector<outcome> many;
  for (int64_t i = 1; i <= 40; ++i)
    many.push_back({true, i, i});
  const auto merged = merge_tool_stats({recorded(many, params), tool_stats{}}, params);
  ASSERT_EQ(merged.latencies_ms.size(), tool_stats::latency_window);
  EXPECT_EQ(merged.latencies_ms.back(), 40);
  EXPECT_EQ(merged.invocations, 40U);
  const auto empty = merge_tool_stats({}, params);
  EXPECT_EQ(empty.invocations, 0U);
  EXPECT_EQ(empty.updated_ms, 0);
}

TEST(ToolStatsMerge, ALaterPartSupersedesAnEarlierOneWhateverTheOrderItArrives) {
  const prior_params params;
  const auto earlier = recorded({{true, 10, 100}}, params);
  const auto later = recorded({{true, 10, 100}, {false, 20, 200}}, params);
  EXPECT_TRUE(supersedes(later, earlier));
  EXPECT_FALSE(supersedes(earlier, later));
  EXPECT_FALSE(supersedes(later, later)) << "the same part twice changes nothing";
  auto touched = earlier;
  touched.updated_ms += 1;
  EXPECT_TRUE(supersedes(touched, earlier));
}

} // namespace
} // namespace drover::runtime
