#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "runtime/tool_search.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::actors {

/// Ranks tools for a search_request (the catalog answers with hits, a shard with its ranking).
using search_atom = caf::atom_constant<caf::atom("search")>;
/// Asks a shard for the hits of some of its tools.
using hits_atom = caf::atom_constant<caf::atom("hits")>;
/// Asks a shard for the corpus statistics of some query terms.
using corpus_atom = caf::atom_constant<caf::atom("corpus")>;
/// Adds or replaces a tool.
using put_tool_atom = caf::atom_constant<caf::atom("puttool")>;
/// Reports one tool invocation's outcome.
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;
/// Probes which tools this node can run.
using probe_atom = caf::atom_constant<caf::atom("probe")>;
/// Asks for one tool with its statistics and availability.
using show_atom = caf::atom_constant<caf::atom("show")>;
/// Asks for every tool with its statistics and availability.
using tools_atom = caf::atom_constant<caf::atom("tools")>;
/// Answered once every message sent to the catalog before it has been handled.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// Sets what a probe found about a tool.
using availability_atom = caf::atom_constant<caf::atom("avail")>;
/// Gives a shard parts of its tools' outcome statistics (runtime::tool_stats_record).
using parts_atom = caf::atom_constant<caf::atom("parts")>;

/// One tool invocation as the invoker saw it. Findings count as success: the tool did its job.
struct tool_outcome {
  std::string tool;
  bool ok = false;
  int64_t latency_ms = 0;
  int64_t at_ms = 0; ///< Unix epoch milliseconds
};

/// A ranked answer: the hits, best first, and how many tools the catalog holds. A shard whose
/// owner did not answer in time is listed in `missing_shards`: its tools are neither counted
/// nor ranked (the answer is degraded, not wrong about the others).
struct search_reply {
  std::vector<runtime::search_hit> hits;
  uint64_t catalog_size = 0;
  std::vector<uint32_t> missing_shards;
};

/// What probing found, by tool id.
using probe_report = std::vector<std::pair<std::string, runtime::tool_availability>>;

} // namespace drover::actors

// These travel only between actors of one node; across nodes they go through FlatBuffers codecs.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::tool_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::search_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::probe_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::search_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::corpus_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::search_hit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::search_hit>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::ranked_tool>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::tool_manifest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::tool_availability)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::tool_stats_record>)
