#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drover::runtime {

/// Rendezvous (highest random weight) placement of catalog shards on cluster members. Every
/// node computes the same answer from the same member ids, with no coordination: a shard goes
/// to the member with the highest weight(shard, member). Removing a member moves only the
/// shards it owned (each to its runner-up); adding one takes about 1/n of the shards from the
/// others. Pure functions, thread-safe.

/// Returns the weight of `node_id` for `shard`: XXH3-64 of the node id seeded with the shard,
/// stable across runs, builds and machines.
uint64_t placement_weight(uint32_t shard, std::string_view node_id);

/// Returns the member of `node_ids` that owns `shard` (ties, which need equal hashes, go to the
/// smaller id), or an empty string when `node_ids` is empty. The order of `node_ids` does not
/// matter.
std::string owner_of(uint32_t shard, const std::vector<std::string>& node_ids);

/// Returns the first `count` members of `node_ids` in the order of their weight for `shard`,
/// highest first (as owner_of): the owner, then the runner-up, which takes the shard when the
/// owner leaves and so is where copies of the shard's state belong.
std::vector<std::string> ranked_owners(uint32_t shard, const std::vector<std::string>& node_ids, size_t count);

/// Returns the owner of each shard 0..shards-1 among `node_ids` (see owner_of).
std::vector<std::string> place_shards(uint32_t shards, const std::vector<std::string>& node_ids);

} // namespace drover::runtime
