#include "actors/job_participant.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/detail/restore_files.hpp"
#include "actors/invoker.hpp"
#include "actors/job_messages.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"
#include "runtime/repository_source.hpp"

namespace drover::actors {

namespace {

using self_pointer = caf::stateful_actor<job_participant_state>*;

/// Returns the chain's manifests from this node's catalog, or why it cannot run the job.
caf::expected<std::vector<runtime::tool_manifest>> local_chain(const job_services& services,
                                                               const runtime::job_offer& offer) {
  std::vector<runtime::tool_manifest> chain;
  for (const auto& id : offer.tools) {
    auto manifest = services.catalog->find(id);
    if (!manifest)
      return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                 "tool '" + id + "' is not in this node's catalog");
    chain.push_back(std::move(*manifest));
  }
  return chain;
}

/// Checks out the worktree and spawns the invokers, talking to `coordinator`.
void start(self_pointer self, const caf::actor& coordinator) {
  auto& st = self->state;
  const auto& offer = st.offer;
  auto leave = [&](const caf::error& error) {
    spdlog::warn("job {}: this node takes no part: {}", offer.job_id, runtime::describe(error));
    self->quit();
  };
  auto chain = local_chain(st.services, offer);
  if (!chain)
    return leave(chain.error());
  auto filter = runtime::tool_file_filter::make(*chain);
  if (!filter)
    return leave(filter.error());
  auto local = runtime::local_repository(offer.repo, st.services.mirrors_dir);
  if (!local)
    return leave(local.error());
  auto created = runtime::workspace::create(*local, offer.base_commit,
                                            st.services.jobs_dir + "/" + offer.job_id + "/member-worktree");
  if (!created)
    return leave(created.error());
  st.workspace.emplace(std::move(*created));
  auto shared_filter = std::make_shared<const runtime::tool_file_filter>(std::move(*filter));
  for (unsigned i = 0; i < st.services.invokers_per_job; ++i) {
    invoker_setup setup;
    setup.services = st.services;
    setup.job_id = offer.job_id;
    setup.coordinator = coordinator;
    setup.workspace_owner = caf::actor_cast<caf::actor>(self);
    setup.worktree = st.workspace->root();
    setup.ship_contents = true;
    setup.chain = *chain;
    setup.filter = shared_filter;
    setup.tool_args = offer.tool_args;
    auto worker = self->spawn<caf::detached + caf::monitored>(invoker, std::move(setup));
    st.running.insert(worker.address());
    st.invokers.push_back(worker);
  }
  spdlog::info("job {}: working for coordinator node {} with {} invokers", offer.job_id,
               offer.coordinator_node, st.invokers.size());
}

void on_invoker_down(self_pointer self, const caf::down_msg& down) {
  auto& st = self->state;
  st.running.erase(down.source);
  if (!st.running.empty())
    return;
  if (st.workspace)
    if (auto error = st.workspace->remove())
      spdlog::warn("job {}: cannot remove this node's worktree: {}", st.offer.job_id,
                   runtime::describe(error));
  spdlog::info("job {}: this node's part is over", st.offer.job_id);
  self->quit();
}

} // namespace

caf::behavior job_participant(caf::stateful_actor<job_participant_state>* self,
                              job_services services, runtime::job_offer offer) {
  self->state.services = std::move(services);
  self->state.offer = std::move(offer);
  self->set_down_handler([self](caf::down_msg& down) { on_invoker_down(self, down); });
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto& worker : self->state.invokers)
      self->send_exit(worker, exit.reason);
    self->quit(exit.reason);
  });
  self->request(self->state.services.cluster, std::chrono::seconds{10}, runtime::remote_atom::value,
                self->state.offer.coordinator_node, std::string{runtime::actor_names::jobs})
    .then([self](const caf::actor& coordinator) { start(self, coordinator); },
          [self](const caf::error& error) {
            spdlog::warn("job {}: cannot reach its coordinator node {}: {}", self->state.offer.job_id,
                         self->state.offer.coordinator_node, runtime::describe(error));
            self->quit();
          });
  return {
    [self](restore_atom, const std::vector<std::string>& files) {
      return detail::restore_files(self->state.workspace, self->state.offer.job_id, files);
    },
    [self](const runtime::job_withdrawn& withdrawn) {
      if (withdrawn.cancelled)
        for (const auto& worker : self->state.invokers)
          self->send(worker, cancel_atom::value);
    },
  };
}

} // namespace drover::actors
