#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/tool_manifest.hpp"

namespace drover::actors::detail {

/// The leases of one job: which holder (an invoker, named NODE#ID) holds which item, until when.
/// A holder holds at most one item. Not thread-safe: one owner (the job's coordinator).
class lease_table {
public:
  using clock = std::chrono::steady_clock;

  /// Returns how long a lease of `chain` lasts: every attempt of every tool at its timeout with
  /// the longest backoff between attempts, plus `margin`.
  static std::chrono::milliseconds ttl_for(const std::vector<runtime::tool_manifest>& chain,
                                           std::chrono::milliseconds margin);

  /// Leases of `ttl` each.
  explicit lease_table(std::chrono::milliseconds ttl = {}) : ttl_(ttl) {}

  /// Records that `holder` holds item `index` from `now` on (replacing what it held).
  void grant(const std::string& holder, uint32_t index, clock::time_point now);

  /// Returns true when `holder` holds item `index`.
  bool holds(const std::string& holder, uint32_t index) const;

  /// Ends the lease of `holder` and returns the item it held, if any.
  std::optional<uint32_t> end(const std::string& holder);

  /// Returns the holders on node `node_id`, whose leases die with it.
  std::vector<std::string> holders_on(const std::string& node_id) const;

  /// Returns the holders whose leases expired at `now`.
  std::vector<std::string> expired(clock::time_point now) const;

  bool empty() const { return leases_.empty(); }

private:
  struct lease {
    uint32_t index = 0;
    clock::time_point expires;
  };

  std::chrono::milliseconds ttl_;
  std::map<std::string, lease> leases_; ///< by holder
};

} // namespace drover::actors::detail
