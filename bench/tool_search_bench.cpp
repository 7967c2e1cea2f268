// Tool search at scale: a synthetic catalog of 100,000 tools over 4 shards, built and queried
// in-process the way the catalog actor does (corpus statistics from every shard, merged; then
// each shard's top k scored against them; then merged), against a naive peer in the same
// process: exhaustive BM25F that scores every tool of the catalog for every query.
//
//   build-bench/bench/tool_search_bench [TOOLS [QUERIES]]     # defaults 100000 2000
//
// Prints the index build time, query latency p50/p99/max for both, and the ratios.
// Targets (issue 4): build <= 2 s, p50 <= 50 us, p99 <= 1 ms.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/tool_search.hpp"

namespace {

namespace runtime = drover::runtime;
using clock_type = std::chrono::steady_clock;

constexpr size_t shard_count = 4;
constexpr size_t top_k = 10;

/// Words with a Zipf-like frequency: word i is drawn with weight 1 / (i + 10).
class vocabulary {
public:
  explicit vocabulary(size_t size) {
    std::vector<double> weights;
    for (size_t i = 0; i < size; ++i) {
      words_.push_back("w" + std::to_string(i) + "x");
      weights.push_back(1.0 / static_cast<double>(i + 10));
    }
    pick_ = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  }
  const std::string& draw(std::mt19937& random) { return words_[pick_(random)]; }

private:
  std::vector<std::string> words_;
  std::discrete_distribution<size_t> pick_;
};

std::vector<runtime::tool_manifest> synthetic_catalog(size_t count, std::mt19937& random, vocabulary& words) {
  const std::vector<std::string> capabilities{"format", "lint", "fix", "security-scan", "secrets-scan",
                                              "type-check", "docs", "codemod", "sort-imports", "spell-check"};
  const std::vector<std::string> languages{"c", "c++", "python", "javascript", "typescript", "go", "rust", "java",
                                           "shell", "yaml", "json", "markdown", "dockerfile", "terraform", "sql"};
  std::vector<runtime::tool_manifest> tools;
  for (size_t i = 0; i < count; ++i) {
    runtime::tool_manifest tool;
    tool.id = "tool-" + std::to_string(i);
    // Lengths vary as real manifests' do: descriptions of 6 to 30 words, 0 to 6 tags.
    for (size_t w = 0, length = 6 + random() % 25; w < length; ++w)
      tool.description += (w ? " " : "") + words.draw(random);
    tool.capabilities = {capabilities[random() % capabilities.size()]};
    tool.languages = {languages[random() % languages.size()]};
    for (size_t t = 0, count = random() % 7; t < count; ++t)
      tool.tags.push_back(words.draw(random));
    tool.file_patterns = {"*"};
    tools.push_back(std::move(tool));
  }
  return tools;
}

/// The peer: every tool's terms per field, scored exhaustively with the same BM25F formula
/// (document frequencies counted once, when it is built).
class exhaustive_bm25 {
public:
  explicit exhaustive_bm25(const std::vector<runtime::tool_manifest>& tools) {
    for (const auto& tool : tools) {
      doc d;
      const std::vector<std::vector<std::string>> fields{
        runtime::search_terms(tool.id), runtime::search_terms(tool.description), terms(tool.capabilities),
        terms(tool.languages), terms(tool.tags)};
      for (size_t f = 0; f < fields.size(); ++f) {
        for (const auto& term : fields[f])
          ++d.counts[f][term];
        d.lengths[f] = static_cast<double>(fields[f].size());
        totals_[f] += d.lengths[f];
      }
      std::set<std::string> distinct;
      for (const auto& field : fields)
        distinct.insert(field.begin(), field.end());
      for (const auto& term : distinct)
        ++document_frequency_[term];
      docs_.push_back(std::move(d));
    }
  }

  std::vector<std::pair<double, size_t>> search(const std::string& text) const {
    auto query = runtime::search_terms(text);
    std::sort(query.begin(), query.end());
    query.erase(std::unique(query.begin(), query.end()), query.end());
    const runtime::ranking_params params;
    const double n = static_cast<double>(docs_.size());
    std::vector<double> idfs;
    for (const auto& term : query)
      idfs.push_back(idf(term));
    std::vector<std::pair<double, size_t>> scored;
    for (size_t i = 0; i < docs_.size(); ++i) {
      double score = 0;
      for (size_t t = 0; t < query.size(); ++t) {
        const auto& term = query[t];
        double weighted = 0;
        for (size_t f = 0; f < 5; ++f) {
          auto found = docs_[i].counts[f].find(term);
          if (found != docs_[i].counts[f].end())
            weighted += params.field_weights[f] * found->second
                        / (1 - params.b + params.b * docs_[i].lengths[f] / (totals_[f] / n));
        }
        if (weighted > 0)
          score += idfs[t] * weighted * (params.k1 + 1) / (params.k1 + weighted);
      }
      if (score > 0)
        scored.emplace_back(score, i);
    }
    const auto keep = std::min(top_k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    scored.resize(keep);
    return scored;
  }

private:
  struct doc {
    std::unordered_map<std::string, int> counts[5];
    double lengths[5] = {};
  };
  static std::vector<std::string> terms(const std::vector<std::string>& texts) {
    std::vector<std::string> all;
    for (const auto& text : texts)
      for (auto& term : runtime::search_terms(text))
        all.push_back(std::move(term));
    return all;
  }
  double idf(const std::string& term) const {
    auto found = document_frequency_.find(term);
    const double df = found == document_frequency_.end() ? 1 : static_cast<double>(found->second);
    const double n = static_cast<double>(docs_.size());
    return std::log(1 + (n - df + 0.5) / (df + 0.5));
  }
  std::vector<doc> docs_;
  std::unordered_map<std::string, uint64_t> document_frequency_;
  double totals_[5] = {};
};

std::vector<runtime::search_hit> sharded_search(const std::vector<runtime::tool_index>& shards,
                                                const std::string& text) {
  return runtime::search_shards(shards, {text, {}, top_k}, 1);
}

struct latency {
  double p50_us, p99_us, max_us;
};

template <class F>
latency measure(const std::vector<std::string>& queries, F run) {
  std::vector<double> micros;
  for (const auto& query : queries) {
    const auto start = clock_type::now();
    run(query);
    micros.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double q) { return micros[static_cast<size_t>(q * static_cast<double>(micros.size() - 1))]; };
  return {at(0.5), at(0.99), micros.back()};
}

} // namespace

int main(int argc, char** argv) {
  const size_t tool_count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const size_t query_count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2000;
  std::mt19937 random{42};
  vocabulary words{20000};
  auto tools = synthetic_catalog(tool_count, random, words);
  std::vector<std::string> queries;
  for (size_t i = 0; i < query_count; ++i) {
    std::string query;
    const auto length = 1 + random() % 4;
    for (size_t w = 0; w < length; ++w)
      query += (w ? " " : "") + words.draw(random);
    queries.push_back(std::move(query));
  }

  const auto peer_start = clock_type::now();
  exhaustive_bm25 peer{tools};
  const double peer_build_s = std::chrono::duration<double>(clock_type::now() - peer_start).count();

  // The index is handed the manifests as the catalog's shards are: by value, moved in.
  const auto build_start = clock_type::now();
  std::vector<runtime::tool_index> shards(shard_count);
  for (size_t i = 0; i < tools.size(); ++i)
    shards[i % shard_count].put(std::move(tools[i]));
  const double build_s = std::chrono::duration<double>(clock_type::now() - build_start).count();

  // Both must agree on what ranks first (ties aside) before any figure counts.
  size_t disagreements = 0;
  for (size_t i = 0; i < std::min<size_t>(queries.size(), 100); ++i) {
    const auto ours = sharded_search(shards, queries[i]);
    const auto theirs = peer.search(queries[i]);
    if (!ours.empty() && !theirs.empty() && std::abs(ours[0].factors.relevance - theirs[0].first) > 1e-9)
      ++disagreements;
  }

  for (size_t i = 0; i < std::min<size_t>(queries.size(), 100); ++i) // warm up caches
    sharded_search(shards, queries[i]);
  const auto ours = measure(queries, [&shards](const std::string& q) { return sharded_search(shards, q).size(); });
  std::vector<std::string> peer_queries(queries.begin(),
                                        queries.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(queries.size(), 100)));
  const auto theirs = measure(peer_queries, [&peer](const std::string& q) { return peer.search(q).size(); });

  std::printf("tool_search_bench: %zu synthetic tools over %zu shards, %zu queries of 1-4 words "
              "(20,000-word Zipf vocabulary), top %zu\n",
              tool_count, shard_count, queries.size(), top_k);
  std::printf("  index build          %8.3f s   (target <= 2 s)\n", build_s);
  std::printf("  query p50            %8.1f us  (target <= 50 us)\n", ours.p50_us);
  std::printf("  query p99            %8.1f us  (target <= 1000 us)\n", ours.p99_us);
  std::printf("  query max            %8.1f us\n", ours.max_us);
  std::printf("  peer: exhaustive BM25F over every tool (%zu queries; built in %.3f s)\n", peer_queries.size(),
              peer_build_s);
  std::printf("  peer query p50       %8.1f us\n  peer query p99       %8.1f us\n", theirs.p50_us, theirs.p99_us);
  std::printf("  ratio p50 index/peer %8.4f\n  ratio p99 index/peer %8.4f\n", ours.p50_us / theirs.p50_us,
              ours.p99_us / theirs.p99_us);
  std::printf("  top-hit relevance disagreements with the peer: %zu of %zu\n", disagreements,
              std::min<size_t>(queries.size(), 100));
  return disagreements == 0 ? 0 : 1;
}
