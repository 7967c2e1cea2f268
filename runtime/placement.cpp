#include "runtime/placement.hpp"

#include <algorithm>

#include <xxhash.h>

namespace drover::runtime {

uint64_t placement_weight(uint32_t shard, std::string_view node_id) {
  // Seeded with the shard rather than hashing "shard/node": one hash per pair, no string built.
  return XXH3_64bits_withSeed(node_id.data(), node_id.size(), static_cast<XXH64_hash_t>(shard) + 1);
}

namespace {

/// Returns true when `a` outranks `b` for a shard: a higher weight, or the smaller id on a tie.
bool outranks(uint64_t weight_a, const std::string& a, uint64_t weight_b, const std::string& b) {
  return weight_a != weight_b ? weight_a > weight_b : a < b;
}

} // namespace

std::vector<std::string> ranked_owners(uint32_t shard, const std::vector<std::string>& node_ids, size_t count) {
  std::vector<std::pair<uint64_t, std::string>> ranked;
  ranked.reserve(node_ids.size());
  for (const auto& id : node_ids)
    ranked.emplace_back(placement_weight(shard, id), id);
  count = std::min(count, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(count), ranked.end(),
                    [](const auto& a, const auto& b) { return outranks(a.first, a.second, b.first, b.second); });
  std::vector<std::string> result;
  for (size_t i = 0; i < count; ++i)
    result.push_back(std::move(ranked[i].second));
  return result;
}

std::string owner_of(uint32_t shard, const std::vector<std::string>& node_ids) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& id : node_ids) {
    const auto weight = placement_weight(shard, id);
    if (best == nullptr || outranks(weight, id, best_weight, *best)) {
      best = &id;
      best_weight = weight;
    }
  }
  return best == nullptr ? std::string{} : *best;
}

std::vector<std::string> place_shards(uint32_t shards, const std::vector<std::string>& node_ids) {
  std::vector<std::string> owners;
  owners.reserve(shards);
  for (uint32_t shard = 0; shard < shards; ++shard)
    owners.push_back(owner_of(shard, node_ids));
  return owners;
}

} // namespace drover::runtime
