#include "actors/coordinator.hpp"

#include <algorithm>
#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/detail/lease_table.hpp"
#include "actors/detail/restore_files.hpp"
#include "actors/invoker.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/content_hash.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/job_outcome.hpp"
#include "runtime/repository_source.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::actors::detail {

/// A lease is durable: hand the item to the invoker waiting for it.
struct lease_recorded {
  uint32_t index = 0;
  caf::error error;
};

/// A result's checkpoint batch is durable.
struct result_recorded {
  caf::error error;
};

} // namespace drover::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::detail::lease_recorded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::detail::result_recorded)

namespace drover::actors {

namespace {

using detail::lease_recorded;
using detail::result_recorded;
using runtime::item_state;
using runtime::job_state;

using start_atom = caf::atom_constant<caf::atom("start")>;
/// The next step of reading a resumed job's item records.
using load_atom = caf::atom_constant<caf::atom("load")>;

/// Checks how long lease requests have waited for an item.
using pull_check_atom = caf::atom_constant<caf::atom("pullcheck")>;

/// Checks whether leases expired.
using lease_check_atom = caf::atom_constant<caf::atom("leasecheck")>;

/// How often expired leases are looked for.
constexpr auto lease_check_interval = std::chrono::seconds{1};

/// How long a lease lasts beyond the time its chain's attempts may take.
constexpr auto lease_margin = std::chrono::seconds{60};

/// How long a lease request waits for an item before it gets lease_status::wait.
constexpr auto max_pull_wait = std::chrono::seconds{2};

/// Items written per store batch while planning.
constexpr size_t plan_batch_items = 1024;

/// Item records read per step when a job resumes. The first lease waits for one step
/// (milliseconds) rather than for every record of the job (0.9 s for 100,000); the next step is
/// read when fewer than half a step of items are pending, so the rest of the records are read
/// as the job goes instead of competing with its first items for the CPU.
constexpr size_t load_step_items = 1024;

class coordinator_logic {
public:
  explicit coordinator_logic(caf::stateful_actor<coordinator_state>* self)
    : self_(self), st_(self->state) {}

  /// Loads the job and takes it from wherever it stands.
  void start(const std::string& job_id) {
    auto stored = st_.services.db->get(runtime::column::jobs, job_id);
    auto job = stored ? runtime::decode_job(*stored) : caf::expected<runtime::job_record>{stored.error()};
    if (!job) {
      spdlog::error("job {}: cannot load: {}", job_id, runtime::describe(job.error()));
      self_->quit(job.error());
      return;
    }
    st_.job = std::move(*job);
    if (runtime::is_final(st_.job.state)) {
      self_->quit();
      return;
    }
    if (auto error = resolve_chain())
      return fail(runtime::describe(error));
    if (st_.job.state == job_state::pending || st_.job.state == job_state::planning) {
      if (auto error = plan())
        return fail(runtime::describe(error));
      spawn_invokers(st_.items.size());
      offer_to_members();
      return;
    }
    if (auto error = open_workspace())
      return fail(runtime::describe(error));
    // The invokers start pulling now; load_items() hands them items as it reads them. The job
    // record's counters are written in the same batch as each item's final state, so they
    // tell how many items are left before any item record is read.
    const auto recorded = std::min(st_.job.items_total, st_.job.items_done + st_.job.items_failed);
    spdlog::info("job {}: resuming with {} of {} items recorded", st_.job.id, recorded,
                 st_.job.items_total);
    st_.items.assign(st_.job.items_total, {});
    st_.unread_from = st_.job.id + "/";
    spawn_invokers(st_.job.items_total - recorded);
    offer_to_members();
    load_items();
  }

  /// Reads the next load_step_items item records of a resumed job: recorded items stay
  /// recorded, the others (pending, or leased when the node stopped) become pending and run
  /// again. Items not read yet are never leased, and the coordinator only writes records of
  /// items it has read, so each step reads records as they were when the job was loaded.
  void load_items() {
    st_.read_requested = false;
    if (!st_.unread_from || runtime::is_final(st_.job.state))
      return;
    const auto prefix = st_.job.id + "/";
    size_t read = 0;
    std::optional<std::string> next;
    caf::error decode_error;
    auto scanned = st_.services.db->scan(
      runtime::column::items, prefix, *st_.unread_from,
      [&](std::string_view key, std::string_view value) {
        if (read == load_step_items) {
          next.emplace(key);
          return false;
        }
        ++read;
        auto item = runtime::decode_item(value);
        if (!item) {
          decode_error = item.error();
          return false;
        }
        if (item->index >= st_.items.size())
          return true;
        auto& slot = st_.items[item->index];
        slot = std::move(*item);
        ++st_.items_read;
        if (slot.state == item_state::done || slot.state == item_state::failed) {
          ++st_.final_items;
        } else {
          slot.state = item_state::pending;
          st_.pending.push_back(slot.index);
        }
        return true;
      });
    if (scanned || decode_error)
      return fail("cannot read the items: " + runtime::describe(scanned ? scanned : decode_error));
    st_.unread_from = std::move(next);
    hand_out_work(); // which asks for the next step when few items are pending
    if (st_.unread_from)
      return;
    if (st_.items_read != st_.items.size())
      return fail("the store holds " + std::to_string(st_.items_read) + " of the "
                  + std::to_string(st_.items.size()) + " item records of the job");
    if (st_.final_items == st_.items.size() && st_.job.state == job_state::assembling)
      return assemble();
    finish_if_complete();
  }

  caf::result<runtime::lease_grant> pull(const runtime::lease_request& request) {
    auto promise = self_->make_response_promise<runtime::lease_grant>();
    if (request.job_id != st_.job.id || runtime::is_final(st_.job.state)
        || st_.job.state == job_state::assembling) {
      promise.deliver(job_over());
      return promise;
    }
    // A holder asks again only once it is done with its item: whatever it still holds was lost
    // (a grant that never reached it, or a run it gave up).
    end_lease(request.holder, "released");
    st_.idle_pulls.push_back({request.holder, promise, std::chrono::steady_clock::now()});
    hand_out_work();
    schedule_pull_check();
    return promise;
  }

  /// Answers lease requests that waited longer than max_pull_wait with lease_status::wait, so
  /// that no request outlives its sender's patience (a remote one times out).
  void check_idle_pulls() {
    st_.pull_check_scheduled = false;
    const auto now = std::chrono::steady_clock::now();
    while (!st_.idle_pulls.empty() && now - st_.idle_pulls.front().since >= max_pull_wait) {
      st_.idle_pulls.front().promise.deliver(runtime::lease_grant{});
      st_.idle_pulls.pop_front();
    }
    schedule_pull_check();
  }

  /// Puts the items of leases past their expiry back to pending: their holder neither reported
  /// nor asked again nor died in time (a result it sends later is rejected by the epoch).
  void check_leases() {
    st_.lease_check_scheduled = false;
    for (const auto& holder : st_.leases.expired(std::chrono::steady_clock::now())) {
      spdlog::warn("job {}: the lease held by {} expired", st_.job.id, holder);
      end_lease(holder, "expired");
    }
    schedule_lease_check();
  }

  /// Offers the running job to every alive member of the cluster but this node.
  void offer_to_members() {
    if (!st_.services.cluster || st_.job.state != job_state::running)
      return;
    self_->request(st_.services.cluster, std::chrono::seconds{10}, runtime::members_atom::value)
      .then(
        [self = self_](const std::vector<runtime::member_info>& members) {
          for (const auto& member : members)
            coordinator_logic{self}.on_member(member);
        },
        [self = self_](const caf::error& error) {
          spdlog::warn("job {}: cannot list the cluster's members: {}", self->state.job.id,
                       runtime::describe(error));
        });
  }

  /// Takes a member's new state: a dead member's leases go back to pending; an alive member not
  /// offered the job yet (or restarted since) is offered it.
  void on_member(const runtime::member_info& member) {
    if (member.node_id == st_.services.node_id)
      return;
    if (member.state == runtime::member_state::dead) {
      release_node(member.node_id);
      return;
    }
    if (member.state != runtime::member_state::alive || st_.job.state != job_state::running)
      return;
    auto offered = st_.offered.find(member.node_id);
    if (offered != st_.offered.end() && offered->second >= member.boot_count)
      return;
    st_.offered[member.node_id] = member.boot_count;
    runtime::job_offer offer{st_.job.id,           st_.services.node_id, st_.job.spec.repo,
                             st_.job.base_commit,  st_.job.spec.tools,   st_.job.spec.tool_args};
    send_to_member(member.node_id, std::move(offer));
  }

  runtime::report_ack on_report(const runtime::item_report& report) {
    const auto index = report.result.index;
    if (report.job_id != st_.job.id || index >= st_.items.size() || st_.job.state != job_state::running)
      return {false};
    auto& item = st_.items[index];
    if (item.state != item_state::leased || item.epoch != report.epoch
        || !st_.leases.holds(report.holder, index)) {
      spdlog::warn("job {}: rejected a result for item {} from {} with expired lease epoch {}",
                   st_.job.id, index, report.holder, report.epoch);
      lease_metric("rejected_late").increment();
      return {false};
    }
    if (auto error = take_contents(item, report)) {
      spdlog::error("job {}: rejected the result for item {} from {}: {}", st_.job.id, index,
                    report.holder, runtime::describe(error));
      return {false};
    }
    st_.leases.end(report.holder);
    item.state = report.result.ok ? item_state::done : item_state::failed;
    ++st_.final_items;
    ++(report.result.ok ? st_.job.items_done : st_.job.items_failed);
    for (const auto& file : report.result.files)
      st_.job.files_changed += file.changed() ? 1 : 0;
    st_.job.updated_unix_ms = runtime::unix_now_ms();
    auto batch = st_.services.db->batch();
    const auto key = runtime::item_key(st_.job.id, index);
    batch.put(runtime::column::items, key, runtime::encode(item));
    batch.put(runtime::column::results, key, runtime::encode(report.result));
    batch.put(runtime::column::jobs, st_.job.id, runtime::encode(st_.job));
    ++st_.unacknowledged;
    st_.services.metrics
      ->make_counter("drover_items_total", "Work items recorded, by outcome.",
                     {{"state", report.result.ok ? "done" : "failed"}})
      .increment();
    st_.services.writer->submit(std::move(batch), [handle = handle()](const caf::error& error) {
      caf::anon_send(handle, result_recorded{error});
    });
    return {true};
  }

  void on_result_recorded(const result_recorded& recorded) {
    --st_.unacknowledged;
    if (recorded.error)
      return fail("cannot record a result: " + runtime::describe(recorded.error));
    finish_if_complete();
  }

  void on_lease_recorded(const lease_recorded& recorded) {
    --st_.unacknowledged;
    --st_.leases_in_flight;
    auto& item = st_.items[recorded.index];
    if (recorded.error)
      return fail("cannot record a lease: " + runtime::describe(recorded.error));
    if (st_.idle_pulls.empty() || st_.job.state != job_state::running) {
      // Nobody waits any more (cancelled or the invoker died): the lease lapses.
      release(recorded.index);
      return;
    }
    auto pull = std::move(st_.idle_pulls.front());
    st_.idle_pulls.pop_front();
    st_.leases.grant(pull.holder, recorded.index, std::chrono::steady_clock::now());
    schedule_lease_check();
    lease_metric("granted").increment();
    pull.promise.deliver(runtime::lease_grant{runtime::lease_status::granted, item.index, item.epoch,
                                              item.attempts, item.files});
  }

  bool restore(const std::vector<std::string>& files) {
    return detail::restore_files(st_.workspace, st_.job.id, files);
  }

  runtime::job_record cancel() {
    if (!runtime::is_final(st_.job.state)) {
      st_.job.message = "cancelled by request";
      // The invokers stop their tools and quit; the worktree is removed once they all have.
      for (const auto& worker : st_.invoker_handles)
        self_->send(worker, cancel_atom::value);
      set_final(job_state::cancelled);
    }
    return st_.job;
  }

  void on_invoker_down(const caf::down_msg& down) {
    st_.invokers.erase(down.source);
    const auto holder = st_.services.node_id + "#" + std::to_string(down.source.id());
    // A pull of the dead invoker must not take an item that nobody would run.
    drop_idle_pulls([&](const std::string& waiting) { return waiting == holder; });
    end_lease(holder, "released");
    if (down.reason && down.reason != caf::exit_reason::normal)
      spdlog::warn("job {}: an invoker stopped: {}", st_.job.id, caf::to_string(down.reason));
    if (st_.job.state == job_state::running && st_.invokers.empty() && st_.offered.empty()
        && st_.final_items < st_.items.size())
      return fail("every invoker stopped before the job was done");
    quit_if_idle();
  }

private:
  caf::actor handle() const { return caf::actor_cast<caf::actor>(self_); }

  caf::error resolve_chain() {
    if (st_.job.spec.tools.empty())
      return runtime::make_error(runtime::runtime_errc::invalid_argument, "the job names no tool");
    for (const auto& id : st_.job.spec.tools) {
      auto manifest = st_.services.catalog->find(id);
      if (!manifest) {
        std::string known;
        for (const auto& tool : st_.services.catalog->list())
          known += (known.empty() ? "" : ", ") + tool.id;
        return runtime::make_error(runtime::runtime_errc::invalid_argument,
                                   "unknown tool '" + id + "' (known tools: " + known + ")");
      }
      st_.chain.push_back(std::move(*manifest));
    }
    st_.leases = detail::lease_table{detail::lease_table::ttl_for(st_.chain, lease_margin)};
    auto filter = runtime::tool_file_filter::make(st_.chain);
    if (!filter)
      return filter.error();
    st_.filter = std::make_shared<const runtime::tool_file_filter>(std::move(*filter));
    return caf::none;
  }

  std::string worktree_dir() const {
    return st_.services.jobs_dir + "/" + st_.job.id + "/worktree";
  }

  caf::error open_workspace() {
    const auto base = st_.job.base_commit.empty() ? st_.job.spec.base : st_.job.base_commit;
    auto local = runtime::local_repository(st_.job.spec.repo, st_.services.mirrors_dir);
    if (!local)
      return local.error();
    auto created = runtime::workspace::create(*local, base, worktree_dir());
    if (!created)
      return created.error();
    st_.workspace.emplace(std::move(*created));
    return caf::none;
  }

  /// Enumerates the files at the base commit, chunks them into items and persists the plan.
  /// A file goes only to the tools of the chain whose file patterns match it: an item holds
  /// files that the same tools take, and a file that no tool takes is recorded as skipped.
  caf::error plan() {
    st_.job.state = job_state::planning;
    if (auto error = st_.services.db->put(runtime::column::jobs, st_.job.id, runtime::encode(st_.job)))
      return error;
    if (auto error = open_workspace())
      return error;
    st_.items.clear();
    // The item being filled for each set of tools (positions in the chain) taking its files.
    std::map<std::vector<size_t>, runtime::item_record> filling;
    auto store_batch = st_.services.db->batch();
    caf::error write_error;
    auto write_if_full = [&] {
      if (store_batch.size() >= plan_batch_items && !write_error) {
        write_error = st_.services.db->write(store_batch);
        store_batch = st_.services.db->batch();
      }
    };
    auto close_item = [&](runtime::item_record& current) {
      current.index = static_cast<uint32_t>(st_.items.size());
      store_batch.put(runtime::column::items, runtime::item_key(st_.job.id, current.index),
                      runtime::encode(current));
      st_.items.push_back(std::move(current));
      current = {};
      write_if_full();
    };
    uint64_t files = 0;
    uint64_t skipped = 0;
    auto listed = st_.workspace->for_each_file(
      st_.job.spec.include, st_.job.spec.exclude, [&](std::string_view path) {
        auto tools = st_.filter->tools_for(path);
        if (tools.empty()) {
          store_batch.put(runtime::column::skipped, runtime::skipped_key(st_.job.id, path),
                          st_.filter->skip_reason());
          ++skipped;
          write_if_full();
          return;
        }
        const auto batch_size = batch_size_for(tools.front());
        auto& current = filling[std::move(tools)];
        current.files.emplace_back(path);
        ++files;
        if (current.files.size() >= batch_size)
          close_item(current);
      });
    if (listed)
      return listed;
    for (auto& [tools, current] : filling)
      if (!current.files.empty())
        close_item(current);
    if (write_error)
      return write_error;
    if (files == 0) {
      std::string globs;
      for (const auto& glob : st_.job.spec.include)
        globs += (globs.empty() ? "" : " ") + glob;
      const auto where = st_.job.spec.repo + " at " + st_.workspace->base_commit().substr(0, 12);
      return runtime::make_error(
        runtime::runtime_errc::invalid_argument,
        skipped == 0 ? "no tracked file of " + where + " matches the globs '" + globs + "'"
                     : "no tool takes any of the " + std::to_string(skipped) + " tracked files of "
                         + where + " that match the globs '" + globs + "': each "
                         + st_.filter->skip_reason());
    }
    st_.job.state = job_state::running;
    st_.job.base_commit = st_.workspace->base_commit();
    st_.job.worktree = st_.workspace->root();
    st_.job.items_total = st_.items.size();
    st_.job.files_total = files;
    st_.job.files_skipped = skipped;
    st_.job.updated_unix_ms = runtime::unix_now_ms();
    // The plan counts once the job record says running: a crash before re-plans from scratch.
    store_batch.put(runtime::column::jobs, st_.job.id, runtime::encode(st_.job));
    if (auto error = st_.services.db->write(store_batch, st_.services.writer->level()))
      return error;
    for (const auto& item : st_.items)
      st_.pending.push_back(item.index);
    // The plan is most of the WAL at this point (10 MB for 100,000 one-file items), and a
    // restart after a crash would replay it all before the first lease: flush it in the
    // background now. Durability does not depend on it.
    if (auto error = st_.services.db->start_flush())
      spdlog::warn("job {}: cannot start a flush of the plan: {}", st_.job.id,
                   runtime::describe(error));
    spdlog::info("job {}: {} files in {} items at {}, {} skipped", st_.job.id, files,
                 st_.items.size(), st_.job.base_commit.substr(0, 12), skipped);
    return caf::none;
  }

  /// Returns the files per item of items whose first tool is at `position` of the chain.
  size_t batch_size_for(size_t position) const {
    return st_.job.spec.batch_size != 0 ? st_.job.spec.batch_size
                                        : static_cast<size_t>(st_.chain[position].files_per_invocation);
  }

  /// Spawns the job's invokers, at most one per item of the `unfinished` ones.
  void spawn_invokers(uint64_t unfinished) {
    const auto count = std::min<uint64_t>(st_.services.invokers_per_job, unfinished);
    for (size_t i = 0; i < count; ++i) {
      invoker_setup setup;
      setup.services = st_.services;
      setup.job_id = st_.job.id;
      setup.coordinator = handle();
      setup.workspace_owner = handle();
      setup.worktree = st_.workspace->root();
      setup.chain = st_.chain;
      setup.filter = st_.filter;
      setup.tool_args = st_.job.spec.tool_args;
      auto worker = self_->spawn<caf::detached + caf::monitored>(invoker, std::move(setup));
      st_.invokers.insert(worker.address());
      st_.invoker_handles.push_back(worker);
    }
  }

  /// Leases pending items to waiting invokers; each lease is recorded before it is handed out.
  void hand_out_work() {
    while (!st_.pending.empty() && st_.idle_pulls.size() > st_.leases_in_flight) {
      const auto index = st_.pending.front();
      st_.pending.pop_front();
      auto& item = st_.items[index];
      item.state = item_state::leased;
      ++item.epoch;
      ++item.attempts;
      ++st_.leases_in_flight;
      auto batch = st_.services.db->batch();
      batch.put(runtime::column::items, runtime::item_key(st_.job.id, index), runtime::encode(item));
      ++st_.unacknowledged;
      st_.services.writer->submit(std::move(batch), [handle = handle(), index](const caf::error& error) {
        caf::anon_send(handle, lease_recorded{index, error});
      });
    }
    if (st_.pending.empty() && st_.final_items == st_.items.size())
      release_idle_pulls();
    read_more_if_low();
  }

  /// Asks for the next step of a resumed job's item records when fewer than half a step of
  /// items are pending and no step is on its way; it comes behind the pulls and reports queued.
  void read_more_if_low() {
    if (!st_.unread_from || st_.read_requested || st_.pending.size() >= load_step_items / 2)
      return;
    st_.read_requested = true;
    self_->send(self_, load_atom::value);
  }

  void release(uint32_t index) {
    auto& item = st_.items[index];
    if (item.state != item_state::leased)
      return;
    item.state = item_state::pending;
    st_.pending.push_front(index);
    hand_out_work();
  }

  void release_idle_pulls() {
    for (auto& pull : st_.idle_pulls)
      pull.promise.deliver(job_over());
    st_.idle_pulls.clear();
  }

  static runtime::lease_grant job_over() {
    runtime::lease_grant grant;
    grant.status = runtime::lease_status::job_over;
    return grant;
  }

  /// Ends the lease of `holder`, if it holds one, counting `event`, and puts its item back to
  /// pending.
  void end_lease(const std::string& holder, const std::string& event) {
    if (auto index = st_.leases.end(holder)) {
      lease_metric(event).increment();
      release(*index);
    }
  }

  /// Puts every item held by invokers of `node_id` back to pending (the node is dead).
  void release_node(const std::string& node_id) {
    const auto prefix = node_id + "#";
    drop_idle_pulls([&](const std::string& holder) { return holder.compare(0, prefix.size(), prefix) == 0; });
    const auto holders = st_.leases.holders_on(node_id);
    if (!holders.empty())
      spdlog::warn("job {}: node {} is dead; leasing its {} items again", st_.job.id, node_id,
                   holders.size());
    for (const auto& holder : holders)
      end_lease(holder, "released");
    // Offered again when it comes back: its part of the job died with it.
    st_.offered.erase(node_id);
  }

  /// Forgets the idle pulls of holders matching `matches` (their answer could reach nobody).
  template <class Predicate>
  void drop_idle_pulls(Predicate matches) {
    auto& pulls = st_.idle_pulls;
    pulls.erase(std::remove_if(pulls.begin(), pulls.end(),
                               [&](const idle_pull& pull) { return matches(pull.holder); }),
                pulls.end());
  }

  void schedule_lease_check() {
    if (st_.lease_check_scheduled || st_.leases.empty() || runtime::is_final(st_.job.state))
      return;
    st_.lease_check_scheduled = true;
    self_->delayed_send(self_, lease_check_interval, lease_check_atom::value);
  }

  void schedule_pull_check() {
    if (st_.pull_check_scheduled || st_.idle_pulls.empty())
      return;
    st_.pull_check_scheduled = true;
    const auto age = std::chrono::steady_clock::now() - st_.idle_pulls.front().since;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(max_pull_wait - age);
    self_->delayed_send(self_, std::max(left, std::chrono::milliseconds{1}), pull_check_atom::value);
  }

  /// Writes the content of the files another node's invoker changed into this node's worktree,
  /// after checking that each is a file of the item and that its bytes hash to what the result
  /// says. Writing is idempotent: a result applied twice writes the same bytes.
  caf::error take_contents(const runtime::item_record& item, const runtime::item_report& report) {
    if (report.contents.empty())
      return {};
    std::map<std::string, const runtime::file_result*> results;
    for (const auto& file : report.result.files)
      results[file.path] = &file;
    auto bad = [](const std::string& why) {
      return runtime::make_error(runtime::runtime_errc::invalid_argument, why);
    };
    for (const auto& content : report.contents) {
      auto result = results.find(content.path);
      if (result == results.end()
          || std::find(item.files.begin(), item.files.end(), content.path) == item.files.end())
        return bad("content for '" + content.path + "', which is not a file of the item");
      if (content.hash != result->second->hash_after
          || (!content.hash.empty() && runtime::content_hash(content.bytes) != content.hash))
        return bad("the content of '" + content.path + "' does not match its hash");
    }
    for (const auto& content : report.contents)
      if (auto error = st_.workspace->put_file(content.path, content.hash.empty() ? nullptr : &content.bytes))
        return error;
    return {};
  }

  /// Sends `message` to the job manager of member `node_id`.
  template <class Message>
  void send_to_member(const std::string& node_id, Message message) {
    self_->request(st_.services.cluster, std::chrono::seconds{10}, runtime::remote_atom::value, node_id,
                   std::string{runtime::actor_names::jobs})
      .then([message](const caf::actor& jobs) { caf::anon_send(jobs, message); },
            [self = self_, node_id](const caf::error& error) {
              spdlog::warn("job {}: cannot reach node {}: {}", self->state.job.id, node_id,
                           runtime::describe(error));
            });
  }

  observability::counter& lease_metric(const std::string& event) {
    return st_.services.metrics->make_counter(
      "drover_leases_total",
      "Work item leases by event: granted, released (its holder asked again or its node died), "
      "expired (not reported in time), rejected_late (a result for a lease that ended).",
      {{"event", event}});
  }

  void finish_if_complete() {
    if (st_.job.state == job_state::running && st_.final_items == st_.items.size()
        && st_.unacknowledged == 0)
      assemble();
  }

  /// Writes the report and the patch, then the branch or the apply, and ends the job.
  void assemble() {
    release_idle_pulls();
    st_.job.state = job_state::assembling;
    if (auto error = st_.services.db->put(runtime::column::jobs, st_.job.id, runtime::encode(st_.job),
                                          runtime::durability::power))
      return fail(runtime::describe(error));
    auto outcome = runtime::write_outcome(*st_.services.db, *st_.workspace, st_.job,
                                          st_.services.jobs_dir + "/" + st_.job.id);
    if (!outcome)
      return fail(runtime::describe(outcome.error()));
    st_.job = std::move(*outcome);
    set_final(st_.job.state);
  }

  void fail(const std::string& message) {
    spdlog::error("job {}: {}", st_.job.id, message);
    st_.job.message = message;
    set_final(job_state::failed);
  }

  void set_final(job_state state) {
    st_.job.state = state;
    st_.job.finished_unix_ms = runtime::unix_now_ms();
    st_.job.updated_unix_ms = st_.job.finished_unix_ms;
    if (auto error = st_.services.db->put(runtime::column::jobs, st_.job.id, runtime::encode(st_.job),
                                          runtime::durability::power))
      spdlog::error("job {}: cannot record its end: {}", st_.job.id, runtime::describe(error));
    st_.services.metrics
      ->make_counter("drover_jobs_finished_total", "Jobs that reached a final state, by state.",
                     {{"state", runtime::to_string(state)}})
      .increment();
    release_idle_pulls();
    st_.pending.clear();
    for (const auto& [node_id, boot_count] : st_.offered)
      send_to_member(node_id, runtime::job_withdrawn{st_.job.id, state == job_state::cancelled});
    quit_if_idle();
  }

  /// Once the job is over and no invoker can still touch the worktree, removes it and quits.
  void quit_if_idle() {
    if (!runtime::is_final(st_.job.state) || !st_.invokers.empty() || st_.unacknowledged != 0)
      return;
    if (st_.workspace)
      if (auto error = st_.workspace->remove())
        spdlog::warn("job {}: cannot remove the worktree: {}", st_.job.id, runtime::describe(error));
    self_->quit();
  }

  caf::stateful_actor<coordinator_state>* self_;
  coordinator_state& st_;
};

} // namespace

caf::behavior coordinator(caf::stateful_actor<coordinator_state>* self, job_services services,
                          std::string job_id) {
  self->state.services = std::move(services);
  self->set_down_handler([self](caf::down_msg& down) { coordinator_logic{self}.on_invoker_down(down); });
  // A node shutting down: stop the invokers and leave the job as it stands, to be resumed.
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto& worker : self->state.invoker_handles)
      self->send_exit(worker, exit.reason);
    self->quit(exit.reason);
  });
  if (self->state.services.cluster)
    self->send(self->state.services.cluster, runtime::subscribe_atom::value);
  self->send(self, start_atom::value, std::move(job_id));
  return {
    [self](start_atom, const std::string& id) { coordinator_logic{self}.start(id); },
    [self](load_atom) { coordinator_logic{self}.load_items(); },
    [self](const runtime::lease_request& request) { return coordinator_logic{self}.pull(request); },
    [self](pull_check_atom) { coordinator_logic{self}.check_idle_pulls(); },
    [self](lease_check_atom) { coordinator_logic{self}.check_leases(); },
    [self](const runtime::item_report& report) { return coordinator_logic{self}.on_report(report); },
    [self](const runtime::member_info& member) { coordinator_logic{self}.on_member(member); },
    [self](const lease_recorded& recorded) { coordinator_logic{self}.on_lease_recorded(recorded); },
    [self](const result_recorded& recorded) { coordinator_logic{self}.on_result_recorded(recorded); },
    [self](restore_atom, const std::vector<std::string>& files) {
      return coordinator_logic{self}.restore(files);
    },
    [self](status_atom) { return self->state.job; },
    [self](cancel_atom) { return coordinator_logic{self}.cancel(); },
  };
}

} // namespace drover::actors
