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
  std::string job_id;
  /// Leases items and takes results: the job's coordinator, or a proxy of it on another node.
  caf::actor coordinator;
  /// Restores files of `worktree` to base content (restore_atom, files -> bool).
  caf::actor workspace_owner;
  std::string worktree; ///< where the tools run: the job's worktree on this node
  /// The coordinator's worktree is not `worktree` (it is on another node): results carry the
  /// content of the files the tools changed.
  bool ship_contents = false;
  std::vector<runtime::tool_manifest> chain; ///< first choice, then fallbacks
  /// Which tools of `chain` take which files: a tool is given only the files of the item it
  /// takes, and is passed over when it takes none.
  std::shared_ptr<const runtime::tool_file_filter> filter;
  std::vector<std::string> tool_args;        ///< what {args} expands to
};

struct invoker_state {
  invoker_setup setup;
  std::string holder; ///< names this invoker in lease requests: NODE#ACTOR_ID
  /// Counts the item in hand in the node's items in flight, until reported or the actor ends.
  struct in_flight_slot {
    std::atomic<uint32_t>* count = nullptr;
    bool held = false;
    void hold(bool now) {
      if (count != nullptr && now != held)
        now ? ++*count : --*count;
      held = now;
    }
    ~in_flight_slot() { hold(false); }
  } in_flight;
  // The item in hand.
  runtime::lease_grant item;
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

/// Pulls work items from the coordinator (local or remote: the same code) one at a time and runs the tool chain on each: the
/// manifest's invocations in the job's worktree over the item's files the tool takes (by its
/// file patterns), retries with exponential backoff and jitter for retryable failures, fallback
/// to the next tool that takes some of the files for the rest, files restored to their base
/// content (by the worktree's owner) before every retry and fallback, and
/// a result with per-file hashes before and after (and, from another node, the changed files'
/// content). Quits when the coordinator says the job is over or cannot be reached. On cancel_atom (the job was cancelled) it stops the process it runs, with neither retry
/// nor fallback nor report, restores the item's files and quits once the process group is gone.
/// Spawn detached: it hashes files, which is blocking I/O.
caf::behavior invoker(caf::stateful_actor<invoker_state>* self, invoker_setup setup);

} // namespace drover::actors
