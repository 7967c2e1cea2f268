#pragma once

#include <chrono>
#include <string>

#include "observability/metrics.hpp"

namespace drover::observability {

/// A snapshot of this process's resource use, read from /proc/self.
struct process_usage {
  double cpu_seconds = 0;          ///< user + system CPU time of this process
  double resident_bytes = 0;       ///< resident set size
  double open_file_descriptors = 0;
};

/// Reads this process's resource use from /proc/self; fields it cannot read stay 0.
process_usage read_process_usage();

/// Publishes build info, uptime and process CPU / resident memory / open file descriptors on
/// `metrics`, refreshed on every collection. `version` labels drover_build_info.
void register_process_metrics(metrics& metrics, const std::string& version);

} // namespace drover::observability
