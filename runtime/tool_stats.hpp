#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <flatbuffers/flatbuffers.h>

namespace drover::disk {
struct ToolStats; // schemas/tool_generated.h
} // namespace drover::disk

namespace drover::runtime {

/// How recorded outcomes turn into a ranking prior.
struct prior_params {
  /// Outcomes lose half their weight per half-life, so that a tool that failed last month
  /// and was fixed since is not punished forever.
  std::chrono::milliseconds half_life = std::chrono::hours{24 * 7};
  /// The success rate assumed for a tool with no outcomes, and how many outcomes that
  /// assumption weighs (Beta prior): a new tool ranks near this rate, not at the bottom, and
  /// a single failure does not sink a tool.
  double prior_success_rate = 0.9;
  double prior_weight = 4;
  /// A tool whose median latency equals `latency_scale` loses half of `latency_weight`.
  std::chrono::milliseconds latency_scale{2000};
  double latency_weight = 0.1;
};

/// The recorded outcomes of one tool: decayed success and failure weights and the latest
/// latencies. A plain value, not synchronized.
struct tool_stats {
  static constexpr size_t latency_window = 32; ///< latencies kept for the median

  double successes = 0; ///< decayed to `updated_ms`
  double failures = 0;  ///< decayed to `updated_ms`
  int64_t updated_ms = 0;
  std::vector<int64_t> latencies_ms; ///< the last latency_window durations, oldest first
  uint64_t invocations = 0;          ///< every outcome recorded, not decayed

  /// Records one invocation that succeeded (`ok`; findings count as success) or failed, at
  /// `now_ms`, after decaying the earlier outcomes to `now_ms`.
  void record(bool ok, int64_t latency_ms, int64_t now_ms, const prior_params& params);

  /// Returns this record with its weights decayed to `now_ms` (never forward in time).
  tool_stats decayed_to(int64_t now_ms, const prior_params& params) const;

  /// Returns the smoothed success rate at `now_ms`:
  /// (successes + weight * rate) / (successes + failures + weight), weights decayed.
  double reliability(int64_t now_ms, const prior_params& params) const;

  /// Returns the median of the kept latencies, if any.
  std::optional<int64_t> median_latency_ms() const;

  /// Returns the latency factor in (1 - latency_weight, 1]: 1 without latencies.
  double latency_factor(const prior_params& params) const;
};

/// Returns the statistics of one tool recorded separately by several nodes (`parts`, each the
/// outcomes its own invokers produced) as one record. Exact for the decayed weights, which are
/// sums of per-outcome terms: each part is decayed to the latest `updated_ms` and added;
/// invocations add up. Latencies carry no time, so the parts' windows are joined oldest part
/// first (by updated_ms, then by their order in `parts`) and the last latency_window kept.
tool_stats merge_tool_stats(std::vector<tool_stats> parts, const prior_params& params);

/// Returns true when `newer` is a later state of the same node's part than `older`: it counts
/// more invocations, or as many and was updated later. A node's part only grows, so keeping the
/// superseding one of two copies makes receiving a part twice, late or out of order harmless.
bool supersedes(const tool_stats& newer, const tool_stats& older);

/// Converts tool statistics to and from FlatBuffers bytes (schemas/tool.fbs); decoding
/// verifies first and fails with runtime_errc::corruption.
std::string encode(const tool_stats& stats);
caf::expected<tool_stats> decode_tool_stats(std::string_view bytes);

/// Writes `stats` into `builder` as a drover.disk.ToolStats table, for a record of its own or
/// inside an envelope.
flatbuffers::Offset<disk::ToolStats> build_tool_stats(flatbuffers::FlatBufferBuilder& builder, const tool_stats& stats);

/// Reads a verified drover.disk.ToolStats table; null reads as no outcomes.
tool_stats read_tool_stats(const disk::ToolStats* table);

} // namespace drover::runtime
