#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/detail/string_numbers.hpp"
#include "runtime/glob.hpp"

#include "runtime/tool_manifest.hpp"
#include "runtime/tool_probe.hpp"
#include "runtime/tool_stats.hpp"

namespace drover::runtime {

/// Splits `text` into search terms: lowercase words of [a-z0-9+#], English function words
/// dropped, each word stemmed ("formatters" -> "format") and mapped to its canonical synonym
/// ("py" -> "python", "prettify" -> "format"). Documents and queries go through the same
/// analysis, so that either side may use any form.
std::vector<std::string> search_terms(std::string_view text);

/// Returns the canonical name of a language the user typed ("py", "golang", "C++"), lowercase.
std::string canonical_language(std::string_view language);

/// The fields of a manifest that text relevance looks at (weights: ranking_params).
enum class search_field : uint8_t { name, description, capabilities, languages, tags };
constexpr size_t search_field_count = 5;

/// Returns the name of `field`, e.g. "capabilities".
std::string to_string(search_field field);

/// Tuning of the ranking.
struct ranking_params {
  /// BM25F: k1 bounds how much repeating a term adds; b is how much a long field is damped.
  double k1 = 1.2;
  double b = 0.75;
  /// How much a match in each field counts (name, description, capabilities, languages, tags).
  std::array<double, search_field_count> field_weights{3.0, 1.0, 2.0, 2.0, 1.5};
  prior_params prior;
};

/// Filters a tool must pass to be a hit at all; empty members filter nothing.
struct search_filters {
  std::string capability; ///< one of the tool's capabilities, exactly
  /// A language ("python", "py") or a file extension (".py"): the tool lists the language, or
  /// has no languages (it applies to any), or one of its file patterns matches "file.EXT".
  std::string language;
  std::vector<side_effect_class> side_effects; ///< allowed classes
  bool available_only = false;                 ///< only tools a probe found on this node
};

/// A search: free text (may be empty: then every tool passing the filters is relevant), the
/// filters, and how many hits to return.
struct search_request {
  std::string text;
  search_filters filters;
  size_t limit = 10;
};

/// Collection statistics BM25 needs. Shards each hold a part of the catalog; summing their
/// statistics before scoring makes a sharded search rank exactly as a single index would.
struct corpus_stats {
  uint64_t documents = 0;
  std::array<double, search_field_count> total_length{}; ///< terms per field, summed over tools
  std::map<std::string, uint64_t> document_frequency;    ///< tools containing each query term

  /// Adds `other`'s counts to these.
  void merge(const corpus_stats& other);
};

/// How one query term contributed to a tool's relevance.
struct term_match {
  std::string term;
  std::vector<std::string> fields; ///< where it matched
  double idf = 0;
  double contribution = 0;
};

/// Every factor of a hit's score: score = relevance * reliability * latency_factor.
struct score_factors {
  double relevance = 0; ///< BM25F over the query terms; 1 for a query without text
  std::vector<term_match> terms;
  double reliability = 0; ///< smoothed, time-decayed success rate
  double successes = 0;   ///< decayed outcome weights behind `reliability`
  double failures = 0;
  uint64_t invocations = 0;
  std::optional<int64_t> median_latency_ms;
  double latency_factor = 1;
  double score = 0;
};

/// One ranked tool. The manifest is shared with the index that found it (never modified: a
/// tool that is replaced gets a new one), so a hit costs no copy of it.
struct search_hit {
  std::shared_ptr<const tool_manifest> tool;
  std::optional<tool_availability> availability; ///< none: not probed yet
  score_factors factors;
};

/// Returns one line explaining `hit`'s score: "score S = relevance R (term: fields ...) x
/// reliability P (n ok, m failed, decayed) x latency L (median T ms)".
std::string explain(const search_hit& hit);

/// Orders hits best first: higher score, then tool id.
bool ranks_before(const search_hit& a, const search_hit& b);

/// A tool's place in a ranking before its hit is made. A sharded search ranks first and makes
/// hits only of the tools that are in the merged top k ("query then fetch"): explaining and
/// copying a hit costs more than ranking it.
struct ranked_tool {
  double score = 0;
  std::string id;
  uint32_t slot = 0; ///< the tool's handle in the index that ranked it, for hits()
};

/// Orders ranked tools best first: higher score, then tool id.
bool ranks_before(const ranked_tool& a, const ranked_tool& b);

/// Returns the best `limit` of the shards' rankings, best first, as the slots of each shard's
/// tools among them, by shard (the index of its ranking); shards without any are left out.
std::vector<std::pair<size_t, std::vector<uint32_t>>> merge_rankings(std::vector<std::vector<ranked_tool>> rankings,
                                                                     size_t limit);

/// A partition of the tool catalog: the manifests, an inverted index over their text fields,
/// and each tool's recorded outcomes and availability. Not synchronized, not even its const
/// members (rank() reuses scratch space): a catalog shard actor owns one.
class tool_index {
public:
  explicit tool_index(ranking_params params = {})
      : params_(std::move(params)), prior_bound_(std::clamp(params_.prior.prior_success_rate, 0.0, 1.0)) {}

  /// Adds the tool `manifest.id`, or replaces it (and its index entries).
  void put(tool_manifest manifest);

  /// Returns the tool `id`, if held here.
  const tool_manifest* find(const std::string& id) const;

  /// Returns how many tools are held here.
  size_t size() const { return tools_.size(); }

  /// Returns every tool held here, ordered by id.
  std::vector<tool_manifest> list() const;

  /// Records one invocation outcome of tool `id` (held here) at `now_ms` and returns its
  /// updated statistics.
  const tool_stats& record_outcome(const std::string& id, bool ok, int64_t latency_ms, int64_t now_ms);

  /// Replaces the statistics of tool `id` (loaded from the store).
  void set_stats(const std::string& id, tool_stats stats);

  /// Returns the statistics of tool `id`, if any outcome was recorded.
  const tool_stats* stats(const std::string& id) const;

  /// Replaces what the last probe found about tool `id`.
  void set_availability(const std::string& id, tool_availability availability);

  /// Returns what the last probe found about tool `id`, if probed.
  const tool_availability* availability(const std::string& id) const;

  /// Returns tool `id` as a hit of a query without text or filters (relevance 1, its prior
  /// factors at `now_ms`), if held here.
  std::optional<search_hit> describe(const std::string& id, int64_t now_ms) const;

  /// Returns the statistics of this partition for the given query terms.
  corpus_stats corpus(const std::vector<std::string>& terms) const;

  /// Returns the best `request.limit` tools of this partition passing the filters for the
  /// query `terms`, best first, scored against `corpus` (the statistics of the whole catalog)
  /// at `now_ms`.
  std::vector<ranked_tool> rank(const search_request& request, const std::vector<std::string>& terms,
                                const corpus_stats& corpus, int64_t now_ms) const;

  /// Returns the hits of the tools in `slots` (from rank(); a slot this index never gave out
  /// is skipped), best first, every factor explained for the query `terms`.
  std::vector<search_hit> hits(const std::vector<uint32_t>& slots, const std::vector<std::string>& terms,
                               const corpus_stats& corpus, int64_t now_ms) const;

private:
  using field_counts = std::array<uint16_t, search_field_count>;
  /// One tool: its manifest, the lengths of its fields and its distinct terms (by term id)
  /// with their counts, sorted by term id (to explain a hit and to unindex the tool).
  struct entry {
    std::shared_ptr<const tool_manifest> manifest;
    field_counts lengths{};
    std::vector<std::pair<uint32_t, field_counts>> terms;
    std::vector<glob> file_globs;
    std::optional<tool_availability> availability;
  };
  /// How often a term occurs in each field of a tool, and the lengths of the fields it occurs
  /// in (0 for the others): all the term's contribution to the tool's relevance depends on.
  /// A catalog has few distinct ones, so the index numbers each once, and a query computes a
  /// term's contribution once per signature, not once per tool.
  struct signature {
    field_counts counts{};
    field_counts lengths{};
    bool operator==(const signature& other) const { return counts == other.counts && lengths == other.lengths; }
  };
  struct signature_hash {
    size_t operator()(const signature& value) const;
  };
  /// A term's occurrence in one tool.
  struct posting {
    uint32_t tool = 0;      ///< slot in tools_
    uint32_t signature = 0; ///< index into signatures_
  };
  /// Every tool a term occurs in, with what bounds its contribution to any of them: the
  /// largest count and the shortest field among its postings, per field. Removing a tool
  /// leaves the bounds as they were: still bounds.
  struct posting_list {
    std::vector<posting> postings;
    field_counts max_count{};
    field_counts min_length{};
  };

  void unindex(uint32_t tool);
  /// Returns the postings of `term`, or nullptr when no tool ever had it.
  const posting_list* postings_of(const std::string& term) const;
  /// Returns the number of the signature of a term with `counts` in a tool with field
  /// `lengths`, numbering it if new.
  uint32_t signature_of(const field_counts& counts, const field_counts& lengths);
  /// Returns the counts of term `term_id` in `tool`, or nullptr when it has none.
  static const field_counts* counts_of(const entry& tool, uint32_t term_id);
  bool passes(const entry& tool, const search_filters& filters) const;
  /// Returns the prior of the tool in `slot` at `now_ms`, in [0, 1], and fills its factors.
  double prior(uint32_t slot, int64_t now_ms, score_factors* factors) const;
  /// What scoring needs of a query, computed once per search: its distinct terms that this
  /// partition holds, in term order, with their postings, their idf in the whole catalog and
  /// the most each can add to a tool's relevance; and the average field lengths of the whole
  /// catalog.
  struct query_plan {
    struct term {
      std::string text;
      uint32_t id = 0;
      const posting_list* list = nullptr;
      double idf = 0;
      double bound = 0;
    };
    std::vector<term> terms;
    const ranking_params* params = nullptr;
    std::array<double, search_field_count> average_lengths{};

    /// Returns the BM25F weight of `counts` in a tool with field `lengths`: field-weighted,
    /// length-normalized.
    double weighted(const field_counts& counts, const field_counts& lengths) const;
    /// Returns BM25's saturated contribution of a term with `idf` and weighted frequency
    /// `weighted`.
    double saturated(double idf, double weighted) const;
  };
  query_plan plan(const std::vector<std::string>& terms, const corpus_stats& corpus) const;
  score_factors explain(const entry& tool, const query_plan& query) const;
  /// Returns (relevance x prior, tool) of at most request.limit tools that pass the filters:
  /// the best for `query`, unordered.
  std::vector<std::pair<double, uint32_t>> accumulate(const search_request& request, const query_plan& query,
                                                      int64_t now_ms) const;
  /// Raises prior_bound_ to bound the prior of a tool with `stats` at any time.
  void raise_prior_bound(const tool_stats& stats);
  /// Adds (score, slot) `candidate` to `best`, a heap of at most `limit`, if it ranks among
  /// them (ties broken by tool id, as ranks_before()).
  void keep_best(std::vector<std::pair<double, uint32_t>>& best, size_t limit,
                 std::pair<double, uint32_t> candidate) const;
  /// Returns the hit for the tool in `slot`, its factors explained for `query` (null: a query
  /// without text, relevance 1).
  search_hit hit(uint32_t slot, const query_plan* query, int64_t now_ms) const;

  ranking_params params_;
  std::vector<entry> tools_; ///< never shrinks: a replaced tool keeps its slot
  /// Each slot's recorded outcomes, null until one is recorded: apart from tools_, so that
  /// ranking the many tools a common term touches reads a few bytes per tool, not an entry.
  std::vector<std::unique_ptr<tool_stats>> stats_;
  detail::string_numbers slots_; ///< each tool id's slot in tools_
  /// Each slot's tool id's first 8 bytes as a number, to break ties between equal scores
  /// without reading the id.
  std::vector<uint64_t> id_prefixes_;
  detail::string_numbers term_numbers_; ///< every term ever indexed
  std::vector<posting_list> postings_;                 ///< by term id
  std::vector<signature> signatures_;                  ///< by number
  std::unordered_map<signature, uint32_t, signature_hash> signature_numbers_;
  std::array<double, search_field_count> total_length_{};
  /// The highest prior any tool held here can have, at any time: accumulate() prunes with
  /// it. Only ever raised (a tool replaced keeps its statistics).
  double prior_bound_;
  // Scratch space of rank(), kept between calls to avoid an allocation per query: the
  // relevance accumulated per tool, whether each was admitted (0 not yet, 1 passed the
  // filters, -1 failed them), and the tools admitted. All zero and empty between calls.
  mutable std::vector<double> accumulated_;
  mutable std::vector<int8_t> filtered_;
  // A query term's contribution per signature, valid where the stamp is the term's: each
  // query term takes a new stamp, so nothing needs clearing.
  mutable std::vector<double> contributions_;
  mutable std::vector<uint32_t> contribution_stamps_;
  mutable uint32_t stamp_ = 0;
  mutable std::vector<uint32_t> touched_;
};

/// Searches the partitions `shards` of one catalog in this thread as the catalog actor does
/// across its shard actors: corpus statistics merged, each shard's ranking against them, the
/// rankings merged, hits made of the best. For tests and benchmarks.
std::vector<search_hit> search_shards(const std::vector<const tool_index*>& shards, const search_request& request,
                                      int64_t now_ms);
std::vector<search_hit> search_shards(const std::vector<tool_index>& shards, const search_request& request,
                                      int64_t now_ms);

} // namespace drover::runtime
