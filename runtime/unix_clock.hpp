#pragma once

#include <chrono>
#include <cstdint>

namespace drover::runtime {

/// Returns the wall-clock time in milliseconds since the Unix epoch: the form every stored and
/// transmitted timestamp of Drover takes.
inline int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace drover::runtime
