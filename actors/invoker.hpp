#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/job_messages.hpp"
#include "actors/job_services.hpp"
#include "runtime/tool_file_filter.hpp"
#include "runtime/tool_manifest.hpp"

namespace drover::actors {

/// What an invoker needs to know about its job.
struct invoker_setup {
  job_services services;
  caf::actor coordinator;
  std::string worktree;                      ///< the job's workspace root
  std::vector<runtime::tool_manifest> chain; ///< first choice, then fallbacks
  /// Which tools of `chain` take which files: a tool is given only the files of the item it
  /// takes, and is passed over when it takes none.
  std::shared_ptr<const runtime::tool_file_filter> filter;
  std::vector<std::string> tool_args;        ///< what {args} expands to
};

struct invoker_state {
  invoker_setup setup;
  // The item in hand.
  work_item item;
  runtime::item_result result;
  std::chrono::steady_clock::time_point item_started;
  size_t tool = 0;    ///< position in the chain
  std::vector<std::string> tool_files; ///< the files of the item that the current tool takes
  int attempt = 1;    ///< attempt of the current tool
  std::vector<std::vector<std::string>> invocations; ///< argv of each invocation of this attempt
  size_t next_invocation = 0;
  bool findings = false;
  uint64_t run_token = 0; ///< tells a current process completion from a stale one
  runtime::process_runner::run_id run = 0; ///< the process running now, 0 when none
  bool cancelled = false; ///< the job was cancelled: the running process is being stopped
  static inline const char* name = "drover.invoker";
};

/// Pulls work items from the coordinator one at a time and runs the tool chain on each: the
/// manifest's invocations in the job's worktree over the item's files the tool takes (by its
/// file patterns), retries with exponential backoff and jitter for retryable failures, fallback
/// to the next tool that takes some of the files for the rest, files restored to their base
/// content (by the coordinator, which owns the worktree) before every retry and fallback, and
/// a result with per-file hashes before and after. Quits when the coordinator says the job is
/// over. On cancel_atom (the job was cancelled) it stops the process it runs, with neither retry
/// nor fallback nor report, restores the item's files and quits once the process group is gone.
/// Spawn detached: it hashes files, which is blocking I/O.
caf::behavior invoker(caf::stateful_actor<invoker_state>* self, invoker_setup setup);

} // namespace drover::actors
