#include "actors/job_manager.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include <caf/actor_cast.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/catalog_messages.hpp"
#include "actors/coordinator.hpp"
#include "actors/job_participant.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/job_report.hpp"
#include "runtime/repository_source.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::actors {

namespace {

using resume_atom = caf::atom_constant<caf::atom("resume")>;

void start_coordinator(caf::stateful_actor<job_manager_state>* self, const std::string& id) {
  auto actor = self->spawn<caf::detached + caf::monitored>(coordinator, self->state.services, id);
  self->state.live[id] = actor;
}

void resume_unfinished(caf::stateful_actor<job_manager_state>* self) {
  auto jobs = runtime::list_jobs(*self->state.services.db);
  if (!jobs) {
    spdlog::error("cannot list jobs to resume: {}", runtime::describe(jobs.error()));
    return;
  }
  for (const auto& job : *jobs)
    if (!runtime::is_final(job.state)) {
      spdlog::info("job {}: resuming ({})", job.id, runtime::to_string(job.state));
      start_coordinator(self, job.id);
    }
}

caf::expected<runtime::job_record> stored_job(const job_services& services, const std::string& id) {
  auto bytes = services.db->get(runtime::column::jobs, id);
  if (!bytes)
    return runtime::is(bytes.error(), runtime::runtime_errc::not_found)
             ? runtime::make_error(runtime::runtime_errc::not_found, "no job " + id)
             : bytes.error();
  return runtime::decode_job(*bytes);
}

/// Asks the coordinator `target` of job `id` and answers with its job record.
template <class Atom>
caf::result<runtime::job_record> ask_coordinator(caf::stateful_actor<job_manager_state>* self,
                                                 const caf::actor& target, const std::string& id,
                                                 Atom atom) {
  auto promise = self->make_response_promise<runtime::job_record>();
  self->request(target, std::chrono::seconds{30}, atom)
    .then([promise](const runtime::job_record& job) mutable { promise.deliver(job); },
          [self, promise, id](caf::error& error) mutable {
            // The coordinator quit once its job was over, before its down message reached us:
            // the store holds the job's final record.
            if (error != caf::sec::request_receiver_down) {
              promise.deliver(std::move(error));
              return;
            }
            auto job = stored_job(self->state.services, id);
            if (job)
              promise.deliver(std::move(*job));
            else
              promise.deliver(std::move(job.error()));
          });
  return promise;
}

/// Answers `atom` about job `id`: its coordinator while it runs, else its stored record (a job
/// that is over has nothing left to cancel).
template <class Atom>
caf::result<runtime::job_record> ask_about(caf::stateful_actor<job_manager_state>* self,
                                           const std::string& id, Atom atom) {
  auto live = self->state.live.find(id);
  if (live != self->state.live.end())
    return ask_coordinator(self, live->second, id, atom);
  auto job = stored_job(self->state.services, id);
  if (!job)
    return std::move(job.error());
  return std::move(*job);
}

/// Records a new job for `spec` and starts its coordinator; answers with the job id.
caf::expected<std::string> record_and_start(caf::stateful_actor<job_manager_state>* self,
                                            const runtime::job_spec& spec) {
  runtime::job_record job;
  job.id = new_job_id();
  job.spec = spec;
  job.created_unix_ms = runtime::unix_now_ms();
  job.updated_unix_ms = job.created_unix_ms;
  if (auto error = self->state.services.db->put(runtime::column::jobs, job.id, runtime::encode(job),
                                                runtime::durability::power))
    return error;
  self->state.services.metrics->make_counter("drover_jobs_submitted_total", "Jobs submitted to this node.")
    .increment();
  start_coordinator(self, job.id);
  return job.id;
}

/// Asks the catalog for the tools with the spec's capability and language, makes the ranked
/// available ones the job's chain (recorded with the ranking, so that a resumed job runs the
/// same chain), then records and starts the job.
caf::result<std::string> resolve_then_start(caf::stateful_actor<job_manager_state>* self,
                                            runtime::job_spec spec) {
  if (!self->state.services.catalog_actor)
    return runtime::make_error(runtime::runtime_errc::invalid_argument,
                               "this node has no tool catalog to resolve --capability");
  auto promise = self->make_response_promise<std::string>();
  runtime::search_request query{"", {spec.capability, spec.language, {}, false}, max_candidates};
  self->request(self->state.services.catalog_actor, std::chrono::seconds{30}, search_atom::value, query)
    .then(
      [self, promise, spec](search_reply& reply) mutable {
        if (auto error = choose_chain(reply.hits, spec)) {
          promise.deliver(std::move(error));
          return;
        }
        auto id = record_and_start(self, spec);
        if (id)
          promise.deliver(std::move(*id));
        else
          promise.deliver(std::move(id.error()));
      },
      [promise](caf::error& error) mutable { promise.deliver(std::move(error)); });
  return promise;
}

/// Starts this node's part in a job of another node, once any earlier part of it has ended.
void take_offer(caf::stateful_actor<job_manager_state>* self, const runtime::job_offer& offer) {
  auto& st = self->state;
  if (st.live.count(offer.job_id) != 0 || !st.services.cluster)
    return; // the job is coordinated here
  if (st.participants.count(offer.job_id) != 0) {
    st.deferred_offers[offer.job_id] = offer;
    return;
  }
  st.participants[offer.job_id] =
    self->spawn<caf::detached + caf::monitored>(job_participant, st.services, offer);
}

/// Hands a lease request or a report from another node to the job's coordinator, or answers
/// with `otherwise` when the job does not run here (any more): also when its coordinator quits
/// before answering, as it does once the job is over.
template <class Reply, class Request>
caf::result<Reply> to_coordinator(caf::stateful_actor<job_manager_state>* self, const Request& request,
                                  Reply otherwise) {
  auto live = self->state.live.find(request.job_id);
  if (live == self->state.live.end())
    return otherwise;
  auto promise = self->make_response_promise<Reply>();
  self->request(live->second, caf::infinite, request)
    .then([promise](const Reply& reply) mutable { promise.deliver(reply); },
          [promise, otherwise](const caf::error&) mutable { promise.deliver(otherwise); });
  return promise;
}

} // namespace

caf::error choose_chain(const std::vector<runtime::search_hit>& ranked, runtime::job_spec& spec) {
  spec.tools.clear();
  spec.tool_ranking.clear();
  for (size_t i = 0; i < ranked.size(); ++i) {
    const auto& hit = ranked[i];
    std::string status;
    bool joins = false;
    if (hit.availability && !hit.availability->available) {
      status = "skipped: not available on this node (" + hit.availability->detail + ")";
    } else if (!spec.tool_args.empty() && !runtime::takes_job_args(*hit.tool)) {
      status = "skipped: takes no job arguments (its argv has no {args})";
    } else if (spec.tools.size() < max_chain) {
      joins = true;
      status = "in the chain as choice " + std::to_string(spec.tools.size() + 1);
    } else {
      status = "not in the chain (it holds " + std::to_string(max_chain) + " tools)";
    }
    if (joins)
      spec.tools.push_back(hit.tool->id);
    spec.tool_ranking.push_back("#" + std::to_string(i + 1) + " " + hit.tool->id + " " + hit.tool->version
                                + ": " + status + "; " + runtime::explain(hit));
  }
  if (!spec.tools.empty())
    return caf::none;
  std::string why = ranked.empty() ? "no tool in the catalog has it" : "every candidate was skipped:";
  for (const auto& line : spec.tool_ranking)
    why += "\n  " + line;
  return runtime::make_error(runtime::runtime_errc::invalid_argument,
                             "no tool to run for capability '" + spec.capability + "'"
                               + (spec.language.empty() ? "" : " and language '" + spec.language + "'") + ": "
                               + why);
}

std::string new_job_id() {
  const auto now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "j%Y%m%d-%H%M%S", &utc);
  static thread_local std::mt19937 random{std::random_device{}()};
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "-%04x", static_cast<unsigned>(random() & 0xffffU));
  return std::string{stamp} + suffix;
}

caf::behavior job_manager(caf::stateful_actor<job_manager_state>* self, job_services services) {
  self->state.services = std::move(services);
  self->set_down_handler([self](caf::down_msg& down) {
    auto& st = self->state;
    for (auto* actors : {&st.live, &st.participants})
      for (auto it = actors->begin(); it != actors->end(); ++it)
        if (it->second.address() == down.source) {
          const auto id = it->first;
          if (down.reason && down.reason != caf::exit_reason::normal
              && down.reason != caf::exit_reason::user_shutdown)
            spdlog::error("job {}: its {} stopped: {}", id, actors == &st.live ? "coordinator" : "part on this node",
                          runtime::describe(down.reason));
          actors->erase(it);
          auto deferred = st.deferred_offers.find(id);
          if (deferred != st.deferred_offers.end()) {
            auto offer = std::move(deferred->second);
            st.deferred_offers.erase(deferred);
            take_offer(self, offer);
          }
          return;
        }
  });
  // A node shutting down stops its jobs where they stand; they resume on the next start.
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto* actors : {&self->state.live, &self->state.participants})
      for (auto& [id, actor] : *actors)
        self->send_exit(actor, exit.reason);
    self->quit(exit.reason);
  });
  self->send(self, resume_atom::value);
  return {
    [self](resume_atom) { resume_unfinished(self); },
    [self](const submit_job& request) -> caf::result<std::string> {
      if (runtime::is_repository_url(request.spec.repo) && request.spec.mode != runtime::job_mode::advise)
        return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                   "mode " + runtime::to_string(request.spec.mode) + " needs a checkout on this "
                                   "machine: a job on the repository URL " + request.spec.repo
                                   + " runs in advise mode (report and patch)");
      if (!request.spec.capability.empty() && request.spec.tools.empty())
        return resolve_then_start(self, request.spec);
      auto id = record_and_start(self, request.spec);
      if (!id)
        return std::move(id.error());
      return std::move(*id);
    },
    [self](status_atom atom, const std::string& id) { return ask_about(self, id, atom); },
    [self](list_atom) -> caf::result<std::vector<runtime::job_record>> {
      auto jobs = runtime::list_jobs(*self->state.services.db);
      if (!jobs)
        return std::move(jobs.error());
      return std::move(*jobs);
    },
    [self](cancel_atom atom, const std::string& id) { return ask_about(self, id, atom); },
    [self](const runtime::job_offer& offer) { take_offer(self, offer); },
    [self](const runtime::job_withdrawn& withdrawn) {
      self->state.deferred_offers.erase(withdrawn.job_id);
      auto part = self->state.participants.find(withdrawn.job_id);
      if (part != self->state.participants.end())
        self->send(part->second, withdrawn);
    },
    [self](const runtime::lease_request& request) {
      runtime::lease_grant over;
      over.status = runtime::lease_status::job_over;
      return to_coordinator(self, request, over);
    },
    [self](const runtime::item_report& report) {
      return to_coordinator(self, report, runtime::report_ack{false});
    },
  };
}

} // namespace drover::actors
