// Search quality on the shipped catalog: the labeled queries of tests/data/tool_queries.tsv
// against every examples/tools/*.yaml, through four shards merged as the catalog actor does.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/tool_search.hpp"

namespace drover::runtime {
namespace {

constexpr size_t shard_count = 4;

struct labeled_query {
  std::string text;
  std::string expected;
};

std::vector<labeled_query> load_queries() {
  std::vector<labeled_query> queries;
  std::ifstream in{std::string{DROVER_SOURCE_DIR} + "/tests/data/tool_queries.tsv"};
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') {
      const auto tab = line.find('\t');
      queries.push_back({line.substr(0, tab), line.substr(tab + 1)});
    }
  return queries;
}

/// The shipped catalog split over shards by a hash of the id, like the catalog actor.
std::vector<tool_index> shipped_shards() {
  std::vector<tool_index> shards(shard_count);
  for (const auto& entry : std::filesystem::directory_iterator{std::string{DROVER_SOURCE_DIR} + "/examples/tools"}) {
    if (entry.path().extension() != ".yaml")
      continue;
    auto manifest = load_tool_manifest(entry.path().string());
    EXPECT_TRUE(manifest) << describe(manifest.error());
    if (manifest)
      shards[std::hash<std::string>{}(manifest->id) % shard_count].put(std::move(*manifest));
  }
  return shards;
}

std::vector<std::string> top_ids(const std::vector<tool_index>& shards, const std::string& text, size_t k) {
  std::vector<std::string> ids;
  for (const auto& hit : search_shards(shards, {text, {}, k}, 1))
    ids.push_back(hit.tool->id);
  return ids;
}

TEST(ToolQuerySet, RecallAtThreeIsAtLeastNinetyPercent) {
  const auto shards = shipped_shards();
  const auto queries = load_queries();
  ASSERT_GE(queries.size(), 60U);
  size_t at_one = 0;
  size_t at_three = 0;
  for (const auto& query : queries) {
    const auto ids = top_ids(shards, query.text, 3);
    const auto found = std::find(ids.begin(), ids.end(), query.expected);
    at_one += !ids.empty() && ids[0] == query.expected ? 1 : 0;
    at_three += found != ids.end() ? 1 : 0;
    if (found == ids.end()) {
      std::string top;
      for (const auto& id : ids)
        top += " " + id;
      std::printf("  miss: \"%s\" expected %s, top 3:%s\n", query.text.c_str(), query.expected.c_str(), top.c_str());
    }
  }
  const auto total = static_cast<double>(queries.size());
  std::printf("tool search on %zu labeled queries: recall@1 = %.3f, recall@3 = %.3f\n", queries.size(),
              static_cast<double>(at_one) / total, static_cast<double>(at_three) / total);
  EXPECT_GE(static_cast<double>(at_three) / total, 0.9);
}

} // namespace
} // namespace drover::runtime
