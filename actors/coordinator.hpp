#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/detail/lease_table.hpp"
#include "actors/job_messages.hpp"
#include "actors/job_services.hpp"
#include "runtime/job_model.hpp"
#include "runtime/tool_file_filter.hpp"
#include "runtime/workspace.hpp"

namespace drover::actors {

/// A lease request waiting for an item.
struct idle_pull {
  std::string holder;
  caf::response_promise promise;
  std::chrono::steady_clock::time_point since;
};

struct coordinator_state {
  job_services services;
  runtime::job_record job;
  std::optional<runtime::workspace> workspace;
  std::vector<runtime::tool_manifest> chain;
  std::shared_ptr<const runtime::tool_file_filter> filter; ///< which tools of `chain` take a file
  std::vector<runtime::item_record> items; ///< by index
  std::deque<uint32_t> pending;            ///< items waiting for a lease
  /// Resume: the store key of the next item record to read (see load_step_items); none once
  /// every record is in `items`. Items not read yet are neither pending nor final.
  std::optional<std::string> unread_from;
  bool read_requested = false; ///< a message to read the next step is on its way
  uint64_t items_read = 0; ///< item records read on resume, to check that none is missing
  detail::lease_table leases; ///< the item each holder (an invoker) holds, until when
  bool lease_check_scheduled = false;
  std::deque<idle_pull> idle_pulls;        ///< invokers waiting for work, oldest first
  bool pull_check_scheduled = false;       ///< a check of idle pulls' waiting time is on its way
  /// Nodes that were offered the job, with the boot count they had then (a restarted node has
  /// lost its part of the job and is offered it again).
  std::map<std::string, uint64_t> offered;
  std::set<caf::actor_addr> invokers;           ///< alive
  std::vector<caf::actor> invoker_handles;      ///< every invoker spawned, to stop them
  size_t unacknowledged = 0;   ///< checkpoint batches submitted, not yet durable
  size_t leases_in_flight = 0; ///< leases being recorded, each promised to an idle pull
  uint64_t final_items = 0;  ///< done + failed
  static inline const char* name = "drover.coordinator";
};

/// Drives one job through its state machine, persisting every transition: plans it (worktree
/// at the base commit, files enumerated and chunked into items), leases items to its invokers
/// (each lease recorded with a new epoch before it is handed out), records every result with
/// the item's state change in one checkpoint batch, and assembles the outcome (report, patch,
/// branch or apply). Started on a job already in the store, it resumes where the job stands:
/// leased but unrecorded items are run again from base content, recorded ones never. It reads
/// the item records of a resumed job in steps, as its pending items run low, and leases the
/// first ones before it has read the rest.
/// In a cluster it offers the job to every alive member (and to members that join or restart
/// while it runs), whose invokers lease items through the job manager of this node exactly as
/// the local ones do; a member declared dead loses its leases, a lease not reported within the
/// time every attempt of every tool of the chain may take expires, and late results are
/// rejected by the lease epoch. Results from other nodes carry the changed files' content, which
/// is written into this node's worktree only once the result is accepted.
/// Answers: lease_request -> lease_grant (a holder's new request releases what it held; a
/// request waits at most a couple of seconds for an item, then gets lease_status::wait);
/// item_report -> report_ack; restore_atom, files -> bool; status_atom -> job_record;
/// cancel_atom -> job_record (and the invokers stop the tools they run); member_info (from the
/// membership). Spawn detached: planning and assembling run git and write files.
caf::behavior coordinator(caf::stateful_actor<coordinator_state>* self, job_services services,
                          std::string job_id);

} // namespace drover::actors
