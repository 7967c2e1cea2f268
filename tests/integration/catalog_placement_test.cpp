// Catalog shards placed on the members of a three-node cluster: every node answers a search
// with the same ranking, outcomes recorded through a job on one node change the ranking seen
// from another, and killing the owner of a tool's shard re-homes the shard with the tool's
// statistics (its runner-up holds copies of every node's part).

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "actors/catalog.hpp"
#include "runtime/placement.hpp"
#include "tests/testing/cluster_harness.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t shards = 4; // catalog_shards' default
const std::string query = "/v1/tools/search?q=widget&capability=fix&limit=5";

class CatalogPlacementTest : public ::testing::Test {
protected:
  void SetUp() override {
    make_git_repo(dir_ / "repo", {{"a.txt", "a\n"}, {"b.txt", "b\n"}, {"c.txt", "c\n"}, {"d.txt", "d\n"}});
    // Two tools alike but for their ids: pl-alpha ranks first until it fails.
    for (const auto* id : {"pl-alpha", "pl-beta"})
      write_file(dir_ / ("tools/" + std::string{id} + ".yaml"),
                 "id: " + std::string{id} + "\nversion: '1'\ndescription: placement widget fixer\n"
                 "capabilities: [fix]\nlanguages: []\nfile_patterns: ['*.txt']\nside_effect: writes-files\n"
                 "files_per_invocation: 1\nargv: [sh, -c, 'exit 1', sh, \"{files}\"]\n");
  }

  /// Returns (id, score, invocations) of each hit of `query` on node `name`, and whether the
  /// answer was degraded.
  std::pair<std::vector<std::tuple<std::string, double, uint64_t>>, bool> ranking(const std::string& name) {
    const auto reply = cluster_.node(name).get(query);
    std::vector<std::tuple<std::string, double, uint64_t>> hits;
    if (!reply.is_object())
      return {hits, true};
    for (const auto& hit : reply["hits"])
      hits.emplace_back(hit["id"], hit["score"], hit["factors"]["invocations"]);
    return {hits, reply.value("degraded", true)};
  }

  /// Returns true when `a` and `b` hold the same tools in the same order with the same
  /// invocations, and scores equal but for the decay between the two queries.
  static bool same_ranking(const std::pair<std::vector<std::tuple<std::string, double, uint64_t>>, bool>& a,
                           const std::pair<std::vector<std::tuple<std::string, double, uint64_t>>, bool>& b) {
    if (a.second != b.second || a.first.size() != b.first.size())
      return false;
    for (size_t i = 0; i < a.first.size(); ++i) {
      const auto& [id_a, score_a, runs_a] = a.first[i];
      const auto& [id_b, score_b, runs_b] = b.first[i];
      if (id_a != id_b || runs_a != runs_b || std::abs(score_a - score_b) > 1e-6 * std::max(1.0, score_a))
        return false;
    }
    return true;
  }

  static std::string first_id(const std::vector<std::tuple<std::string, double, uint64_t>>& hits) {
    return hits.empty() ? std::string{} : std::get<0>(hits.front());
  }

  static uint64_t invocations_of(const std::vector<std::tuple<std::string, double, uint64_t>>& hits,
                                 const std::string& id) {
    for (const auto& [hit, score, invocations] : hits)
      if (hit == id)
        return invocations;
    return 0;
  }

  temp_dir dir_;
  cluster_harness cluster_{dir_};
};

TEST_F(CatalogPlacementTest, EveryNodeRanksAlikeOutcomesTravelAndAShardSurvivesItsOwner) {
  const std::vector<std::string> names{"a", "b", "c"};
  for (const auto& name : names)
    cluster_.start(name, {"--invokers", "1"});
  for (const auto& name : names)
    ASSERT_TRUE(cluster_.wait_members(name, 3, "alive")) << name << " does not see three members";
  // Every shard held once across the cluster.
  ASSERT_TRUE(wait_until(
    [&] {
      double owned = 0;
      for (const auto& name : names)
        owned += cluster_.node(name).metric("drover_catalog_shards_owned");
      return owned == shards;
    },
    10s));

  const auto before = ranking("a");
  ASSERT_FALSE(before.second);
  ASSERT_EQ(first_id(before.first), "pl-alpha") << "equal tools tie by id: " << cluster_.node("a").get(query).dump();
  for (const auto& name : {"b", "c"})
    EXPECT_TRUE(same_ranking(ranking(name), before)) << name << " ranks otherwise than a";

  // pl-alpha fails on every item of a job submitted to b (run by the invokers of every node).
  const auto job = cluster_.wait_job(
    "b", cluster_.node("b").submit({{"repo", dir_ / "repo"}, {"include", {"*.txt"}}, {"tools", {"pl-alpha"}},
                                    {"mode", "advise"}}));
  ASSERT_NE(job["state"], "succeeded") << job.dump(2);
  ASSERT_TRUE(wait_until([&] { return first_id(ranking("c").first) == "pl-beta"; }, 10s))
    << "c does not see pl-alpha's failures";
  const auto after_job = ranking("c");
  const auto recorded = invocations_of(after_job.first, "pl-alpha");
  EXPECT_GE(recorded, 4U);
  for (const auto& name : {"a", "b"})
    EXPECT_TRUE(wait_until([&] { return same_ranking(ranking(name), ranking("c")); }, 5s))
      << name << " ranks otherwise than c";

  // Kill the node that holds pl-alpha's shard; a survivor rebuilds it with every node's part.
  std::vector<std::string> ids;
  for (const auto& name : names)
    ids.push_back(cluster_.node_id(name));
  const auto owner_id = runtime::owner_of(static_cast<uint32_t>(actors::shard_of("pl-alpha", shards)), ids);
  const auto owner = names[static_cast<size_t>(std::find(ids.begin(), ids.end(), owner_id) - ids.begin())];
  EXPECT_GE(cluster_.node(owner).metric("drover_catalog_shards_owned"), 1);
  cluster_.kill(owner);
  std::vector<std::string> survivors;
  std::copy_if(names.begin(), names.end(), std::back_inserter(survivors), [&](const auto& n) { return n != owner; });
  for (const auto& name : survivors)
    ASSERT_TRUE(cluster_.wait_members(name, 1, "dead", 5s)) << name << " does not see " << owner << " dead";
  for (const auto& name : survivors)
    EXPECT_TRUE(wait_until(
      [&] {
        const auto now = ranking(name);
        return !now.second && invocations_of(now.first, "pl-alpha") == recorded
               && first_id(now.first) == "pl-beta";
      },
      10s))
      << name << " lost pl-alpha's statistics with its shard's owner: " << ::testing::PrintToString(ranking(name));
  double rehomed = 0;
  for (const auto& name : survivors)
    rehomed += cluster_.node(name).metric("drover_catalog_rehomings_total");
  EXPECT_GE(rehomed, 1);
  EXPECT_TRUE(same_ranking(ranking(survivors[0]), ranking(survivors[1])));
}

} // namespace
} // namespace drover::testing
