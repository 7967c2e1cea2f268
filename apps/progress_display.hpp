#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace drover::apps {

/// Shows a job's progress while the CLI waits for it: a live bar redrawn in place on a
/// terminal, otherwise a plain line every few seconds (for logs and CI). Not thread-safe.
class progress_display {
public:
  /// Writes to `out`; `live` selects the bar (normally: `out` is a terminal).
  progress_display(std::FILE* out, bool live);

  /// Shows `job` (a job record as the API returns it) if it is time to.
  void update(const nlohmann::json& job);

  /// Ends the display (clears the bar's line).
  void finish();

private:
  std::string render(const nlohmann::json& job) const;

  std::FILE* out_;
  bool live_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_line_;
  bool drawn_ = false;
};

} // namespace drover::apps
