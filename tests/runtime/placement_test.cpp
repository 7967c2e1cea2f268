#include "runtime/placement.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace drover::runtime {
namespace {

constexpr uint32_t shards = 64;

std::vector<std::string> members(size_t count) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < count; ++i)
    ids.push_back("node-" + std::to_string(i * 7919 + 17));
  return ids;
}

TEST(PlacementTest, EveryShardHasOneOwnerAmongTheMembers) {
  const auto ids = members(5);
  const auto owners = place_shards(shards, ids);
  ASSERT_EQ(owners.size(), shards);
  for (const auto& owner : owners)
    EXPECT_NE(std::find(ids.begin(), ids.end(), owner), ids.end()) << owner;
  EXPECT_EQ(owner_of(3, {}), "");
  EXPECT_EQ(owner_of(3, {"alone"}), "alone");
}

TEST(PlacementTest, ShardsSpreadOverTheMembers) {
  const auto ids = members(4);
  std::map<std::string, int> owned;
  for (const auto& owner : place_shards(shards, ids))
    ++owned[owner];
  ASSERT_EQ(owned.size(), ids.size()) << "a member owns no shard";
  for (const auto& [id, count] : owned)
    EXPECT_GE(count, 6) << id << " owns too few of " << shards << " shards";
}

TEST(PlacementTest, RemovingAMemberMovesOnlyItsShards) {
  auto ids = members(5);
  const auto before = place_shards(shards, ids);
  const auto gone = ids[2];
  ids.erase(ids.begin() + 2);
  const auto after = place_shards(shards, ids);
  for (uint32_t shard = 0; shard < shards; ++shard) {
    if (before[shard] == gone)
      EXPECT_NE(after[shard], gone);
    else
      EXPECT_EQ(after[shard], before[shard]) << "shard " << shard << " moved though its owner stayed";
  }
}

TEST(PlacementTest, EveryNodeComputesTheSameAnswerWhateverTheOrderOfItsMemberList) {
  auto ids = members(6);
  const auto first = place_shards(shards, ids);
  std::reverse(ids.begin(), ids.end());
  EXPECT_EQ(place_shards(shards, ids), first);
  std::rotate(ids.begin(), ids.begin() + 2, ids.end());
  EXPECT_EQ(place_shards(shards, ids), first);
  EXPECT_NE(placement_weight(0, "a"), placement_weight(1, "a"));
}

TEST(PlacementTest, TheRunnerUpTakesTheShardWhenTheOwnerLeaves) {
  auto ids = members(5);
  for (uint32_t shard = 0; shard < shards; ++shard) {
    const auto ranked = ranked_owners(shard, ids, 2);
    ASSERT_EQ(ranked.size(), 2U);
    EXPECT_EQ(ranked[0], owner_of(shard, ids));
    auto without = ids;
    without.erase(std::find(without.begin(), without.end(), ranked[0]));
    EXPECT_EQ(owner_of(shard, without), ranked[1]);
  }
  EXPECT_EQ(ranked_owners(0, {"alone"}, 2), std::vector<std::string>{"alone"});
}

} // namespace
} // namespace drover::runtime
