#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/store.hpp"
#include "runtime/tool_probe.hpp"
#include "runtime/tool_stats.hpp"

namespace drover::runtime {

/// Where the catalog's durable records live: column `tool_stats` keyed by tool id, and column
/// `tools` with "probe/ID" (the last probe) and "manifest/ID" (a manifest the user added).
/// Loads fail with runtime_errc::not_found when there is no record, corruption when it does
/// not verify.

caf::expected<tool_stats> load_tool_stats(const store& db, const std::string& id);
caf::error store_tool_stats(store& db, const std::string& id, const tool_stats& stats);

/// Records a copy of node `origin`'s part of tool `id`'s statistics (key "ID@ORIGIN": tool ids
/// hold no '@'), kept by a shard's owner and runner-up so that the part outlives its node.
caf::error store_tool_stats_copy(store& db, const std::string& id, const std::string& origin, const tool_stats& stats);

/// Returns (origin, statistics) of every copy of another node's part of tool `id`; copies that
/// do not verify are skipped (a later outcome or pull replaces them).
caf::expected<std::vector<std::pair<std::string, tool_stats>>> load_tool_stats_copies(const store& db,
                                                                                      const std::string& id);

caf::expected<tool_availability> load_tool_availability(const store& db, const std::string& id);
caf::error store_tool_availability(store& db, const std::string& id, const tool_availability& availability);

/// Records the YAML text of a manifest the user added (already validated), durably.
caf::error store_user_manifest(store& db, const std::string& id, const std::string& source,
                               const std::string& yaml);

/// Returns (source, YAML text) of every manifest the user added, ordered by tool id; the keys
/// of records that do not verify go to `unreadable` (one bad record must not cost the rest).
caf::expected<std::vector<std::pair<std::string, std::string>>> load_user_manifests(const store& db,
                                                                                  std::vector<std::string>& unreadable);

} // namespace drover::runtime
