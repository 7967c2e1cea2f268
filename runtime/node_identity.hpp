#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "runtime/store.hpp"

namespace drover::runtime {

/// Who a node is, kept in its store across restarts (schemas/node_record.fbs).
struct node_identity {
  std::string node_id;
  uint64_t boot_count = 0;
  int64_t first_boot_unix_ms = 0;
  int64_t last_boot_unix_ms = 0;
};

/// Reads the node record from `db` (creating a new random id on the first boot of a data
/// directory), counts this boot and writes the record back with power durability.
caf::expected<node_identity> record_boot(store& db);

} // namespace drover::runtime
