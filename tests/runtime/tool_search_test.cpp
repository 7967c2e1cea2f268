#include "runtime/tool_search.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

using ::testing::ElementsAre;

tool_manifest tool(std::string id, std::string description, std::vector<std::string> capabilities,
                   std::vector<std::string> languages, std::vector<std::string> patterns = {"*"}) {
  tool_manifest manifest;
  manifest.id = std::move(id);
  manifest.description = std::move(description);
  manifest.capabilities = std::move(capabilities);
  manifest.languages = std::move(languages);
  manifest.file_patterns = std::move(patterns);
  return manifest;
}

/// alpha and gamma format, beta lints; descriptions of two terms each.
tool_index tiny_catalog(const ranking_params& params = {}) {
  tool_index index{params};
  index.put(tool("alpha", "format python", {"format"}, {"python"}, {"*.py"}));
  index.put(tool("beta", "lint python", {"lint"}, {"python"}, {"*.py"}));
  index.put(tool("gamma", "format go", {"format"}, {"go"}, {"*.go"}));
  return index;
}

std::vector<search_hit> run(const tool_index& index, const search_request& request, int64_t now_ms = 1) {
  return search_shards({&index}, request, now_ms);
}

std::vector<std::string> ids(const std::vector<search_hit>& hits) {
  std::vector<std::string> result;
  for (const auto& hit : hits)
    result.push_back(hit.tool->id);
  return result;
}

TEST(SearchTerms, StemsDropsFunctionWordsAndMapsSynonyms) {
  EXPECT_THAT(search_terms("Formatters, formatting and formats"), ElementsAre("format", "format", "format"));
  EXPECT_THAT(search_terms("lint my py files"), ElementsAre("lint", "python", "file"));
  EXPECT_THAT(search_terms("C++ and C#"), ElementsAre("c++", "c#"));
  EXPECT_THAT(search_terms("find leaked passwords"), ElementsAre("find", "secret", "secret"));
  EXPECT_THAT(search_terms("scanners scanning"), ElementsAre("scan", "scan"));
  EXPECT_TRUE(search_terms("the of and").empty());
}

TEST(ToolIndex, Bm25fScoreMatchesAHandComputation) {
  const auto index = tiny_catalog();
  const auto hits = run(index, {"lint", {}, 10});
  ASSERT_THAT(ids(hits), ElementsAre("beta"));
  // N = 3, df(lint) = 1: idf = ln(1 + 2.5 / 1.5) = ln(8/3). Every description has 2 terms and
  // every capability list 1, so both norms are 1: weighted tf = 1.0 (description) + 2.0
  // (capabilities) = 3. BM25 saturation with k1 = 1.2: 3 * 2.2 / 4.2.
  const double expected = std::log(8.0 / 3.0) * 3.0 * 2.2 / 4.2;
  EXPECT_NEAR(hits[0].factors.relevance, expected, 1e-9);
  ASSERT_EQ(hits[0].factors.terms.size(), 1u);
  EXPECT_THAT(hits[0].factors.terms[0].fields, ElementsAre("description", "capabilities"));
  // No outcomes yet: the prior's success rate, no latency penalty.
  EXPECT_NEAR(hits[0].factors.reliability, 0.9, 1e-12);
  EXPECT_NEAR(hits[0].factors.score, expected * 0.9, 1e-9);
}

TEST(ToolIndex, EveryMatchedTermAddsUp) {
  const auto hits = run(tiny_catalog(), {"format python", {}, 10});
  // alpha matches both terms; beta only "python" and gamma only "format", each in its
  // description and one list field, with the same document frequency: a tie, broken by id.
  EXPECT_THAT(ids(hits), ElementsAre("alpha", "beta", "gamma"));
  EXPECT_DOUBLE_EQ(hits[1].factors.relevance, hits[2].factors.relevance);
  EXPECT_DOUBLE_EQ(hits[0].factors.relevance, hits[1].factors.relevance + hits[2].factors.relevance);
}

TEST(ToolIndex, FiltersByCapabilityLanguageExtensionSideEffectAndAvailability) {
  auto index = tiny_catalog();
  EXPECT_THAT(ids(run(index, {"", {"format", "", {}, false}, 10})), ElementsAre("alpha", "gamma"));
  EXPECT_THAT(ids(run(index, {"", {"format", "py", {}, false}, 10})), ElementsAre("alpha"));
  EXPECT_THAT(ids(run(index, {"", {"", ".go", {}, false}, 10})), ElementsAre("gamma"));
  EXPECT_THAT(ids(run(index, {"", {"", "", {side_effect_class::writes_files}, false}, 10})), ElementsAre());
  EXPECT_THAT(ids(run(index, {"", {"", "", {}, true}, 10})), ElementsAre());
  index.set_availability("gamma", {true, "1.0", "gamma 1.0", 1});
  index.set_availability("alpha", {false, {}, "not found", 1});
  EXPECT_THAT(ids(run(index, {"format", {"", "", {}, true}, 10})), ElementsAre("gamma"));
  EXPECT_THAT(ids(run(index, {"format", {}, 1})), ElementsAre("alpha"));
}

TEST(ToolIndex, AnyLanguageToolsPassALanguageFilter) {
  auto index = tiny_catalog();
  index.put(tool("secrets", "find secrets", {"secrets-scan"}, {}));
  EXPECT_THAT(ids(run(index, {"", {"secrets-scan", "python", {}, false}, 10})), ElementsAre("secrets"));
}

TEST(ToolStats, SmoothingKeepsNewToolsFromTheBottomAndDecayForgives) {
  prior_params params;
  params.half_life = std::chrono::hours{1};
  tool_stats fresh;
  EXPECT_NEAR(fresh.reliability(1000, params), 0.9, 1e-12);
  tool_stats failing;
  failing.record(false, 100, 1000, params);
  failing.record(false, 300, 1000, params);
  // (0 + 4 * 0.9) / (0 + 2 + 4)
  EXPECT_NEAR(failing.reliability(1000, params), 3.6 / 6, 1e-12);
  tool_stats good;
  for (int i = 0; i < 10; ++i)
    good.record(true, 200, 1000, params);
  EXPECT_GT(good.reliability(1000, params), fresh.reliability(1000, params));
  EXPECT_GT(fresh.reliability(1000, params), failing.reliability(1000, params));
  // One half-life later the failures weigh half: (0 + 3.6) / (1 + 4).
  EXPECT_NEAR(failing.reliability(1000 + 3'600'000, params), 3.6 / 5, 1e-9);
  EXPECT_EQ(failing.median_latency_ms(), 300);
  EXPECT_EQ(failing.invocations, 2u);
}

TEST(ToolIndex, RepeatedFailuresDropARankAndDecayLetsItRecover) {
  ranking_params params;
  params.prior.half_life = std::chrono::hours{1};
  auto index = tiny_catalog(params);
  const int64_t start = 1'000'000;
  // alpha is the more relevant formatter for this query (it also matches "python").
  const search_request request{"format python", {"format", "", {}, false}, 10};
  ASSERT_THAT(ids(run(index, request, start)), ElementsAre("alpha", "gamma"));
  for (int i = 0; i < 5; ++i)
    index.record_outcome("alpha", false, 50, start);
  EXPECT_THAT(ids(run(index, request, start)), ElementsAre("gamma", "alpha"));
  EXPECT_THAT(ids(run(index, request, start + 10 * 3'600'000)), ElementsAre("alpha", "gamma"));
}

TEST(ToolIndex, ALimitOfZeroFindsNothing) {
  const auto index = tiny_catalog();
  EXPECT_TRUE(run(index, {"python", {}, 0}).empty());
  EXPECT_TRUE(run(index, {"", {}, 0}).empty());
}

TEST(ToolIndex, ShardsWithMergedStatisticsRankAsOneIndex) {
  const auto whole = tiny_catalog();
  tool_index first;
  tool_index second;
  first.put(*whole.find("alpha"));
  second.put(*whole.find("beta"));
  second.put(*whole.find("gamma"));
  const search_request request{"python formatting", {}, 10};
  const auto hits = search_shards(std::vector<const tool_index*>{&first, &second}, request, 1);
  const auto expected = run(whole, request);
  ASSERT_EQ(ids(hits), ids(expected));
  for (size_t i = 0; i < hits.size(); ++i)
    EXPECT_DOUBLE_EQ(hits[i].factors.score, expected[i].factors.score);
}

std::vector<std::string> sharded_search(const std::vector<tool_index>& shards, const search_request& request,
                                        int64_t now_ms) {
  return ids(search_shards(shards, request, now_ms));
}

/// Returns the best request.limit ids with every tool scored: an unbounded limit never prunes.
std::vector<std::string> brute_force(const std::vector<tool_index>& shards, search_request request,
                                     int64_t now_ms) {
  const auto limit = request.limit;
  request.limit = 1'000'000;
  auto all = sharded_search(shards, request, now_ms);
  all.resize(std::min(all.size(), limit));
  return all;
}

TEST(ToolIndex, PrunedTopKEqualsExhaustiveScoringOnRandomCatalogs) {
  std::mt19937 random{7};
  const std::vector<std::string> words{"format", "lint", "python", "secret", "scan", "docker", "sort", "import",
                                       "fast", "style", "check", "type", "doc", "fix", "go", "rust"};
  const std::vector<std::string> capabilities{"format", "lint", "fix"};
  auto word = [&] { return words[random() % words.size()]; };
  for (int round = 0; round < 30; ++round) {
    ranking_params params;
    params.prior.half_life = std::chrono::hours{1};
    std::vector<tool_index> shards;
    for (auto count = 1 + random() % 4; shards.size() < count;)
      shards.emplace_back(params);
    const int tools = 20 + static_cast<int>(random() % 200);
    for (int i = 0; i < tools; ++i) {
      std::string description;
      for (int w = 0; w < 1 + static_cast<int>(random() % 8); ++w)
        description += word() + " ";
      auto manifest = tool("t" + std::to_string(random() % 150), description, {capabilities[random() % 3]},
                           {word()}, {"*." + word()});
      manifest.tags = {word()};
      auto& shard = shards[std::hash<std::string>{}(manifest.id) % shards.size()];
      const auto id = manifest.id;
      shard.put(std::move(manifest)); // ids repeat: some tools are replaced
      for (int outcome = static_cast<int>(random() % 4); outcome > 0; --outcome)
        shard.record_outcome(id, random() % 3 != 0, static_cast<int64_t>(random() % 5000), 1000);
    }
    for (int query = 0; query < 20; ++query) {
      search_request request{word(), {}, 1 + random() % 6};
      for (auto more = random() % 3; more > 0; --more)
        request.text += " " + word();
      if (random() % 3 == 0)
        request.filters.capability = capabilities[random() % 3];
      if (random() % 4 == 0)
        request.filters.language = word();
      ASSERT_EQ(sharded_search(shards, request, 2000), brute_force(shards, request, 2000))
        << "round " << round << ", query '" << request.text << "', limit " << request.limit;
    }
  }
}

TEST(ToolRecords, RoundTripAndRejectCorruptBytes) {
  tool_stats stats;
  stats.record(true, 120, 5000, {});
  stats.record(false, 80, 6000, {});
  auto decoded = decode_tool_stats(encode(stats));
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(decoded->invocations, 2u);
  EXPECT_EQ(decoded->updated_ms, 6000);
  EXPECT_THAT(decoded->latencies_ms, ElementsAre(120, 80));
  const tool_availability availability{true, "14.0.6", "clang-format version 14.0.6", 42};
  auto read = decode_tool_availability(encode(availability));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->version, "14.0.6");
  EXPECT_TRUE(read->available);
  EXPECT_TRUE(is(decode_tool_stats("garbage").error(), runtime_errc::corruption));
  EXPECT_TRUE(is(decode_tool_availability("").error(), runtime_errc::corruption));
}

} // namespace
} // namespace drover::runtime
