#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>

namespace drover::bench::detail {

/// Returns the CPU time this process has used so far, all threads, user and system.
inline int64_t cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL + usage.ru_utime.tv_usec
         + usage.ru_stime.tv_usec;
}

/// Returns the steady clock in nanoseconds, comparable between processes of one machine.
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace drover::bench::detail
