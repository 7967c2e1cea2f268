#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/tool_probe.hpp"
#include "runtime/tool_search.hpp"
#include "runtime/tool_stats.hpp"

namespace drover::runtime {

/// Messages between the catalog fronts of cluster members about catalog shards (part of
/// runtime::wire_message). A request kind names its reply kind as `reply`. A shard lives on one member (see runtime/placement.hpp); any front
/// asks the owner's front, which answers from its shard actor. A reply with `held` false says
/// the answering node does not hold the shard (placement changed under the request).

struct shard_corpus_reply;
struct shard_rank_reply;
struct shard_hits_reply;
struct shard_stats_reply;

/// Asks for shard `shard`'s corpus statistics of the query `terms`.
struct shard_corpus_request {
  using reply = shard_corpus_reply;
  uint32_t shard = 0;
  std::vector<std::string> terms;
};

/// Answers a shard_corpus_request.
struct shard_corpus_reply {
  bool held = false;
  corpus_stats corpus;
};

/// Asks for shard `shard`'s best tools for `request`, scored against `corpus` (the whole
/// catalog's statistics) at `now_ms`.
struct shard_rank_request {
  using reply = shard_rank_reply;
  uint32_t shard = 0;
  search_request request;
  std::vector<std::string> terms;
  corpus_stats corpus;
  int64_t now_ms = 0;
};

/// Answers a shard_rank_request, best first.
struct shard_rank_reply {
  bool held = false;
  std::vector<ranked_tool> ranking;
};

/// Asks for the explained hits of the tools in `slots` (from a shard_rank_reply of the same
/// shard) for the query `terms`.
struct shard_hits_request {
  using reply = shard_hits_reply;
  uint32_t shard = 0;
  std::vector<uint32_t> slots;
  std::vector<std::string> terms;
  corpus_stats corpus;
  int64_t now_ms = 0;
};

/// One hit by tool id: every node holds the manifests, so they do not travel.
struct shard_hit {
  std::string tool_id;
  std::optional<tool_availability> availability; ///< what the shard's node probed
  score_factors factors;
};

/// Answers a shard_hits_request, best first.
struct shard_hits_reply {
  bool held = false;
  std::vector<shard_hit> hits;
};

/// The statistics of the outcomes of tool `tool_id` that the invokers of node `origin`
/// produced: one part of the tool's statistics (see actors/catalog_placement.hpp).
struct tool_stats_record {
  std::string tool_id;
  std::string origin;
  tool_stats stats;
};

/// A node's part of a tool's statistics after one of its invokers ran it, for the owner of the
/// tool's shard `shard` and its runner-up (one-way). The sending node persisted it already.
struct shard_outcome {
  uint32_t shard = 0;
  tool_stats_record part;
};

/// Asks a member for every part of the statistics of the tools of shard `shard` that it
/// persisted (its own and the copies it keeps of other nodes'), to (re)build the shard.
struct shard_stats_request {
  using reply = shard_stats_reply;
  uint32_t shard = 0;
};

/// Answers a shard_stats_request.
struct shard_stats_reply {
  std::vector<tool_stats_record> stats;
};

} // namespace drover::runtime
