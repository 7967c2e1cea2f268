#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/job_services.hpp"
#include "runtime/tool_file_filter.hpp"
#include "runtime/tool_manifest.hpp"
#include "runtime/wire_messages.hpp"
#include "runtime/workspace.hpp"

namespace drover::actors {

struct job_participant_state {
  job_services services;
  runtime::job_offer offer;
  std::optional<runtime::workspace> workspace;
  std::vector<caf::actor> invokers;
  std::set<caf::actor_addr> running; ///< invokers not yet down
  static inline const char* name = "drover.job_participant";
};

/// This node's part in a job coordinated by another node: prepares its own worktree of the
/// job's repository at the base commit (DATA_DIR/jobs/ID/member-worktree), spawns invokers
/// that lease items from the coordinator through a proxy and send results with the changed
/// files' content, restores files of its worktree for them (restore_atom, files -> bool), and
/// once every invoker has quit (the job is over, cancelled or its coordinator unreachable)
/// removes the worktree and quits. Leaves the job alone, logging why, when a tool of the chain
/// is unknown here or the repository cannot be checked out. job_withdrawn with `cancelled`
/// stops the invokers' running tools. Spawn detached: it runs git.
caf::behavior job_participant(caf::stateful_actor<job_participant_state>* self,
                              job_services services, runtime::job_offer offer);

} // namespace drover::actors
