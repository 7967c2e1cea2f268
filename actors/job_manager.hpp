#pragma once

#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_messages.hpp"
#include "actors/job_messages.hpp"
#include "actors/job_services.hpp"

namespace drover::actors {

struct job_manager_state {
  job_services services;
  std::map<std::string, caf::actor> live; ///< coordinators of unfinished jobs, by job id
  /// This node's part in jobs coordinated by other nodes, by job id.
  std::map<std::string, caf::actor> participants;
  /// Offers that came while the participant of an earlier offer of the job was still ending.
  std::map<std::string, runtime::job_offer> deferred_offers;
  static inline const char* name = "drover.jobs";
};

/// The node's entry point for jobs, registered as "jobs" for other nodes. On start it resumes
/// every unfinished job in the store.
/// Answers: submit_job -> std::string (the new job's id; the job is recorded before the
/// answer; a spec with a capability and no tools first gets its chain from the catalog);
/// status_atom, id -> job_record; list_atom -> std::vector<job_record>; cancel_atom, id ->
/// job_record. From other nodes: job_offer and job_withdrawn (this node's part in their jobs,
/// see job_participant), and lease_request -> lease_grant and item_report -> report_ack, which
/// it hands to the job's coordinator (job over / not accepted when the job is not running
/// here). Spawn detached: it reads and writes the store.
caf::behavior job_manager(caf::stateful_actor<job_manager_state>* self, job_services services);

/// How many ranked candidates a capability job considers, and how many of them form its chain.
constexpr size_t max_candidates = 10;
constexpr size_t max_chain = 3;

/// Makes `spec.tools` the best available of `ranked` (best first; at most max_chain; only
/// tools that take job arguments when the spec has some) and
/// `spec.tool_ranking` one line per candidate saying where it ranked, why, and whether it
/// joined the chain. Fails with invalid_argument, listing the candidates, when none is
/// available.
caf::error choose_chain(const std::vector<runtime::search_hit>& ranked, runtime::job_spec& spec);

/// Returns a new job id: "j" + UTC time + random suffix, so that ids sort by creation.
std::string new_job_id();

} // namespace drover::actors
