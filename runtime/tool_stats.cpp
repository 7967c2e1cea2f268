#include "runtime/tool_stats.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/detail/verified_root.hpp"
#include "runtime/error.hpp"
#include "schemas/tool_generated.h"

namespace drover::runtime {

void tool_stats::record(bool ok, int64_t latency_ms, int64_t now_ms, const prior_params& params) {
  *this = decayed_to(now_ms, params);
  (ok ? successes : failures) += 1;
  ++invocations;
  latencies_ms.push_back(latency_ms);
  if (latencies_ms.size() > latency_window)
    latencies_ms.erase(latencies_ms.begin());
}

tool_stats tool_stats::decayed_to(int64_t now_ms, const prior_params& params) const {
  tool_stats result = *this;
  if (now_ms <= updated_ms)
    return result;
  if (updated_ms > 0 && params.half_life.count() > 0) {
    const double factor =
      std::exp2(-static_cast<double>(now_ms - updated_ms) / static_cast<double>(params.half_life.count()));
    result.successes *= factor;
    result.failures *= factor;
  }
  result.updated_ms = now_ms;
  return result;
}

double tool_stats::reliability(int64_t now_ms, const prior_params& params) const {
  const auto now = decayed_to(now_ms, params);
  return (now.successes + params.prior_weight * params.prior_success_rate)
         / (now.successes + now.failures + params.prior_weight);
}

std::optional<int64_t> tool_stats::median_latency_ms() const {
  if (latencies_ms.empty())
    return std::nullopt;
  auto sorted = latencies_ms;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

double tool_stats::latency_factor(const prior_params& params) const {
  const auto median = median_latency_ms();
  if (!median)
    return 1.0;
  const auto value = static_cast<double>(*median);
  const auto scale = static_cast<double>(params.latency_scale.count());
  return 1.0 - params.latency_weight * value / (value + scale);
}

bool supersedes(const tool_stats& newer, const tool_stats& older) {
  return newer.invocations != older.invocations ? newer.invocations > older.invocations
                                                : newer.updated_ms > older.updated_ms;
}

tool_stats merge_tool_stats(std::vector<tool_stats> parts, const prior_params& params) {
  tool_stats merged;
  for (const auto& part : parts)
    merged.updated_ms = std::max(merged.updated_ms, part.updated_ms);
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.updated_ms < b.updated_ms; });
  for (const auto& part : parts) {
    const auto now = part.decayed_to(merged.updated_ms, params);
    merged.successes += now.successes;
    merged.failures += now.failures;
    merged.invocations += part.invocations;
    merged.latencies_ms.insert(merged.latencies_ms.end(), part.latencies_ms.begin(), part.latencies_ms.end());
  }
  if (merged.latencies_ms.size() > tool_stats::latency_window)
    merged.latencies_ms.erase(merged.latencies_ms.begin(),
                              merged.latencies_ms.end() - static_cast<std::ptrdiff_t>(tool_stats::latency_window));
  return merged;
}

flatbuffers::Offset<disk::ToolStats> build_tool_stats(flatbuffers::FlatBufferBuilder& builder, const tool_stats& stats) {
  return disk::CreateToolStats(builder, stats.successes, stats.failures, stats.updated_ms,
                               builder.CreateVector(stats.latencies_ms), stats.invocations);
}

tool_stats read_tool_stats(const disk::ToolStats* table) {
  tool_stats stats;
  if (table == nullptr)
    return stats;
  stats.successes = table->successes();
  stats.failures = table->failures();
  stats.updated_ms = table->updated_ms();
  if (table->latencies_ms() != nullptr)
    stats.latencies_ms.assign(table->latencies_ms()->begin(), table->latencies_ms()->end());
  stats.invocations = table->invocations();
  return stats;
}

std::string encode(const tool_stats& stats) {
  flatbuffers::FlatBufferBuilder builder{128};
  builder.Finish(build_tool_stats(builder, stats));
  return {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()};
}

caf::expected<tool_stats> decode_tool_stats(std::string_view bytes) {
  const detail::aligned_bytes aligned{bytes};
  const auto* root = detail::verified_root<disk::ToolStats>(aligned);
  if (root == nullptr)
    return make_error(runtime_errc::corruption, "a stored tool statistics record does not verify");
  return read_tool_stats(root);
}

} // namespace drover::runtime
