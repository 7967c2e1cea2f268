#include "actors/job_manager.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/coordinator.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/job_report.hpp"
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

/// Asks the coordinator `target` and answers with its job record.
template <class Atom>
caf::result<runtime::job_record> ask_coordinator(caf::stateful_actor<job_manager_state>* self,
                                                 const caf::actor& target, Atom atom) {
  auto promise = self->make_response_promise<runtime::job_record>();
  self->request(target, std::chrono::seconds{30}, atom)
    .then([promise](const runtime::job_record& job) mutable { promise.deliver(job); },
          [promise](caf::error& error) mutable { promise.deliver(std::move(error)); });
  return promise;
}

/// Answers `atom` about job `id`: its coordinator while it runs, else its stored record (a job
/// that is over has nothing left to cancel).
template <class Atom>
caf::result<runtime::job_record> ask_about(caf::stateful_actor<job_manager_state>* self,
                                           const std::string& id, Atom atom) {
  auto live = self->state.live.find(id);
  if (live != self->state.live.end())
    return ask_coordinator(self, live->second, atom);
  auto job = stored_job(self->state.services, id);
  if (!job)
    return std::move(job.error());
  return std::move(*job);
}

} // namespace

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
    auto& live = self->state.live;
    for (auto it = live.begin(); it != live.end(); ++it)
      if (it->second.address() == down.source) {
        live.erase(it);
        break;
      }
  });
  // A node shutting down stops its jobs where they stand; they resume on the next start.
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto& [id, actor] : self->state.live)
      self->send_exit(actor, exit.reason);
    self->quit(exit.reason);
  });
  self->send(self, resume_atom::value);
  return {
    [self](resume_atom) { resume_unfinished(self); },
    [self](const submit_job& request) -> caf::result<std::string> {
      runtime::job_record job;
      job.id = new_job_id();
      job.spec = request.spec;
      job.created_unix_ms = runtime::unix_now_ms();
      job.updated_unix_ms = job.created_unix_ms;
      if (auto error = self->state.services.db->put(runtime::column::jobs, job.id,
                                                    runtime::encode(job), runtime::durability::power))
        return error;
      self->state.services.metrics
        ->make_counter("drover_jobs_submitted_total", "Jobs submitted to this node.")
        .increment();
      start_coordinator(self, job.id);
      return job.id;
    },
    [self](status_atom atom, const std::string& id) { return ask_about(self, id, atom); },
    [self](list_atom) -> caf::result<std::vector<runtime::job_record>> {
      auto jobs = runtime::list_jobs(*self->state.services.db);
      if (!jobs)
        return std::move(jobs.error());
      return std::move(*jobs);
    },
    [self](cancel_atom atom, const std::string& id) { return ask_about(self, id, atom); },
  };
}

} // namespace drover::actors
