#include "actors/detail/lease_table.hpp"

namespace drover::actors::detail {

std::chrono::milliseconds lease_table::ttl_for(const std::vector<runtime::tool_manifest>& chain,
                                               std::chrono::milliseconds margin) {
  auto ttl = margin;
  for (const auto& tool : chain)
    ttl += tool.retry.attempts
           * (std::chrono::duration_cast<std::chrono::milliseconds>(tool.timeout) + tool.retry.max_backoff);
  return ttl;
}

void lease_table::grant(const std::string& holder, uint32_t index, clock::time_point now) {
  leases_[holder] = {index, now + ttl_};
}

bool lease_table::holds(const std::string& holder, uint32_t index) const {
  auto held = leases_.find(holder);
  return held != leases_.end() && held->second.index == index;
}

std::optional<uint32_t> lease_table::end(const std::string& holder) {
  auto held = leases_.find(holder);
  if (held == leases_.end())
    return std::nullopt;
  const auto index = held->second.index;
  leases_.erase(held);
  return index;
}

std::vector<std::string> lease_table::holders_on(const std::string& node_id) const {
  const auto prefix = node_id + "#";
  std::vector<std::string> holders;
  for (auto it = leases_.lower_bound(prefix); it != leases_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    holders.push_back(it->first);
  return holders;
}

std::vector<std::string> lease_table::expired(clock::time_point now) const {
  std::vector<std::string> holders;
  for (const auto& [holder, lease] : leases_)
    if (lease.expires <= now)
      holders.push_back(holder);
  return holders;
}

} // namespace drover::actors::detail
