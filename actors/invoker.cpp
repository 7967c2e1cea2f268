#include "actors/invoker.hpp"

#include <algorithm>
#include <random>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/catalog_messages.hpp"
#include "runtime/content_hash.hpp"
#include "runtime/error.hpp"
#include "runtime/file_io.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::actors::detail {

/// A child process ended (sent from the process runner's thread to the invoker).
struct process_finished {
  uint64_t token = 0;
  caf::error error;
  runtime::process_result result;
};

} // namespace drover::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::detail::process_finished)

namespace drover::actors {

namespace {

using namespace std::chrono;
using detail::process_finished;
using runtime::retry_trigger;

constexpr size_t excerpt_bytes = 2048;
constexpr size_t findings_bytes = 4096;

/// The backoff before a retry has passed.
using retry_atom = caf::atom_constant<caf::atom("retry")>;

std::string tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

int64_t millis_since(steady_clock::time_point start) {
  return duration_cast<milliseconds>(steady_clock::now() - start).count();
}

/// Per-tool instruments; labels are tool ids, a bounded set.
struct tool_metrics {
  observability::metrics& metrics;
  void invocation(const std::string& tool, const std::string& outcome, double seconds) {
    metrics.make_counter("drover_tool_invocations_total", "Tool invocations by tool and outcome.",
                         {{"tool", tool}, {"outcome", outcome}})
      .increment();
    metrics
      .make_histogram("drover_tool_invocation_seconds", "Duration of tool invocations.",
                      observability::exponential_buckets(0.005, 2, 16), {{"tool", tool}})
      .observe(seconds);
  }
  void count(const std::string& name, const std::string& help) {
    metrics.make_counter(name, help).increment();
  }
};

class invoker_logic {
public:
  explicit invoker_logic(caf::stateful_actor<invoker_state>* self) : self_(self), st_(self->state) {}

  void pull() {
    self_->request(st_.setup.coordinator, caf::infinite,
                   runtime::lease_request{st_.setup.job_id, st_.holder})
      .then(
        [self = self_](const runtime::lease_grant& grant) {
          switch (grant.status) {
            case runtime::lease_status::granted:
              invoker_logic{self}.begin(grant);
              return;
            case runtime::lease_status::wait:
              invoker_logic{self}.pull();
              return;
            case runtime::lease_status::job_over:
              self->quit();
              return;
          }
        },
        [self = self_](caf::error& error) { self->quit(std::move(error)); });
  }

  void begin(const runtime::lease_grant& item) {
    st_.item = item;
    st_.in_flight.hold(true);
    st_.result = runtime::item_result{};
    st_.result.index = item.index;
    st_.item_started = steady_clock::now();
    // A later lease means an earlier run may have left half-done changes: start from base.
    if (item.lease_count > 1)
      restore_then([self = self_] { invoker_logic{self}.hash_and_start(); });
    else
      hash_and_start();
  }

  void hash_and_start() {
    st_.result.files.clear();
    for (const auto& file : st_.item.files) {
      auto hash = runtime::hash_file(st_.setup.worktree + "/" + file);
      st_.result.files.push_back({file, hash ? *hash : std::string{}, {}});
    }
    // The coordinator puts files in an item only with tools that take them; an item planned
    // before tools' file patterns counted, or with a tool whose manifest changed since, may
    // hold files that no tool of the chain takes.
    const auto first = next_tool(0);
    if (first == st_.setup.chain.size())
      return fail_item("no tool of the chain takes any of its files: each "
                       + st_.setup.filter->skip_reason());
    use_tool(first);
    start_attempt();
  }

  void start_attempt() {
    const auto& manifest = st_.setup.chain[st_.tool];
    auto planned = runtime::invocations(manifest, st_.tool_files, st_.setup.worktree,
                                        st_.setup.tool_args);
    if (!planned) {
      record_attempt(manifest, "failure", 0, 0, 0, runtime::describe(planned.error()));
      give_up_on_tool();
      return;
    }
    st_.invocations = std::move(*planned);
    st_.next_invocation = 0;
    st_.findings = false;
    run_next();
  }

  void run_next() {
    if (st_.next_invocation == st_.invocations.size()) {
      finish_ok();
      return;
    }
    const auto& manifest = st_.setup.chain[st_.tool];
    runtime::process_spec spec;
    spec.argv = runtime::with_drover_binary(st_.invocations[st_.next_invocation],
                                            st_.setup.services.drover_binary);
    spec.working_dir = st_.setup.worktree;
    spec.env_allow.insert(spec.env_allow.end(), manifest.env_allow.begin(), manifest.env_allow.end());
    spec.timeout = duration_cast<milliseconds>(manifest.timeout);
    spec.limits.file_size_bytes = 1ULL << 30; // no tool legitimately writes a 1 GiB file
    const auto token = ++st_.run_token;
    st_.run = st_.setup.services.runner->start(
      std::move(spec), [handle = caf::actor_cast<caf::actor>(self_), token](
                         caf::expected<runtime::process_result> outcome) {
        process_finished finished{token, {}, {}};
        if (outcome)
          finished.result = std::move(*outcome);
        else
          finished.error = std::move(outcome.error());
        caf::anon_send(handle, std::move(finished));
      });
  }

  void on_finished(const process_finished& finished) {
    if (finished.token != st_.run_token)
      return;
    st_.run = 0;
    const auto& manifest = st_.setup.chain[st_.tool];
    const auto& run = finished.result;
    if (st_.cancelled) {
      // The job is over: no retry, no fallback, no report. What the stopped tool half-wrote is
      // put back as after a failed attempt, then the invoker quits, which tells the coordinator
      // that nothing of this job runs any more.
      tool_metrics{*st_.setup.services.metrics}.invocation(manifest.id, "cancelled",
                                                           duration<double>(run.duration).count());
      restore_then([self = self_] { self->quit(); });
      return;
    }
    std::string outcome;
    std::optional<retry_trigger> trigger;
    if (finished.error) {
      outcome = "spawn-failed";
      trigger = retry_trigger::spawn_failed;
    } else if (run.timed_out) {
      outcome = "timeout";
      trigger = retry_trigger::timeout;
    } else if (run.term_signal != 0) {
      outcome = "signal";
      trigger = retry_trigger::crash;
    } else {
      const auto meaning = runtime::classify_exit(manifest, run.exit_code);
      outcome = runtime::to_string(meaning);
      if (meaning == runtime::exit_meaning::failure)
        trigger = retry_trigger::failure;
    }
    auto excerpt = finished.error ? runtime::describe(finished.error) : tail(run.err, excerpt_bytes);
    if (run.out_truncated || run.err_truncated)
      excerpt += " [output truncated at the capture limit]";
    record_attempt(manifest, outcome, run.exit_code, run.term_signal, run.duration.count(), excerpt);
    tool_metrics{*st_.setup.services.metrics}.invocation(
      manifest.id, outcome, duration<double>(run.duration).count());
    // The catalog learns from every run; a spawn failure says the tool is missing here, which
    // is availability (the probe's business), not how well the tool works.
    if (!finished.error && st_.setup.services.catalog_actor)
      caf::anon_send(st_.setup.services.catalog_actor, outcome_atom::value,
                     tool_outcome{manifest.id, !trigger, run.duration.count(), runtime::unix_now_ms()});
    if (!trigger) {
      if (outcome == "findings") {
        st_.findings = true;
        if (st_.result.findings.size() < findings_bytes)
          st_.result.findings += run.out.substr(0, findings_bytes - st_.result.findings.size());
      }
      ++st_.next_invocation;
      run_next();
      return;
    }
    if (runtime::should_retry(manifest.retry, *trigger) && st_.attempt < manifest.retry.attempts) {
      tool_metrics{*st_.setup.services.metrics}.count("drover_item_retries_total",
                                                      "Tool attempts retried after a failure.");
      const auto pause = jittered(runtime::backoff_before(manifest.retry, st_.attempt));
      ++st_.attempt;
      restore_then([self = self_, pause, token = st_.run_token] {
        self->delayed_send(self, pause, retry_atom::value, token);
      });
      return;
    }
    give_up_on_tool();
  }

  void on_retry(uint64_t token) {
    if (token == st_.run_token)
      start_attempt();
  }

  /// The job was cancelled: stops the running process, whose completion ends the invoker, or
  /// ends it now when nothing runs (it waits for a reply, a backoff or its next item).
  void on_cancel() {
    st_.cancelled = true;
    if (st_.run != 0)
      st_.setup.services.runner->cancel(st_.run);
    else
      self_->quit();
  }

private:
  void record_attempt(const runtime::tool_manifest& manifest, std::string outcome, int exit_code,
                      int signal, int64_t duration_ms, std::string excerpt) {
    st_.result.attempts.push_back({manifest.id, manifest.version, std::move(outcome), exit_code,
                                   signal, duration_ms, std::move(excerpt)});
  }

  /// Returns the position of the first tool of the chain from `from` on that takes a file of
  /// the item, or the chain's length when none does.
  size_t next_tool(size_t from) const {
    const auto& filter = *st_.setup.filter;
    const auto& files = st_.item.files;
    while (from < st_.setup.chain.size()
           && std::none_of(files.begin(), files.end(), [&](const auto& file) { return filter.takes(from, file); }))
      ++from;
    return from;
  }

  /// Makes the tool at `position` the current one, with the files of the item it takes.
  void use_tool(size_t position) {
    st_.tool = position;
    st_.attempt = 1;
    st_.tool_files = st_.setup.filter->files_for(position, st_.item.files);
  }

  /// Moves on to the next tool of the chain that takes a file of the item, or fails the item
  /// when there is none.
  void give_up_on_tool() {
    const auto fallback = next_tool(st_.tool + 1);
    restore_then([self = self_, fallback] {
      invoker_logic logic{self};
      auto& st = self->state;
      if (fallback < st.setup.chain.size()) {
        tool_metrics{*st.setup.services.metrics}.count(
          "drover_item_fallbacks_total", "Items moved on to the next tool of their chain.");
        logic.use_tool(fallback);
        logic.start_attempt();
        return;
      }
      const auto& last = st.result.attempts.back();
      logic.fail_item("every tool of the chain failed; last: " + last.tool + " " + last.outcome
                      + (last.outcome == "failure" ? " (exit " + std::to_string(last.exit_code) + ")"
                                                   : std::string{}));
    });
  }

  /// Reports the item as failed for `why`, its files as they were at the base.
  void fail_item(std::string why) {
    st_.result.ok = false;
    st_.result.error = std::move(why);
    for (auto& file : st_.result.files)
      file.hash_after = file.hash_before; // restored, or never touched
    report();
  }

  void finish_ok() {
    const auto& manifest = st_.setup.chain[st_.tool];
    st_.result.ok = true;
    st_.result.tool = manifest.id;
    st_.result.tool_version = manifest.version;
    for (auto& file : st_.result.files) {
      auto hash = runtime::hash_file(st_.setup.worktree + "/" + file.path);
      file.hash_after = hash ? *hash : std::string{};
    }
    report();
  }

  void report() {
    st_.result.duration_ms = millis_since(st_.item_started);
    st_.result.node = st_.setup.services.node_id;
    runtime::item_report report{st_.setup.job_id, st_.holder, st_.item.epoch, st_.result, {}};
    if (st_.setup.ship_contents)
      if (auto error = attach_contents(report))
        return fail_item("cannot read the changed files: " + runtime::describe(error));
    self_->request(st_.setup.coordinator, caf::infinite, std::move(report))
      .then(
        [self = self_](const runtime::report_ack&) {
          self->state.in_flight.hold(false);
          invoker_logic{self}.pull();
        },
        [self = self_](caf::error& error) { self->quit(std::move(error)); });
  }

  /// Puts the content of every file the tools changed into `report` (no content: deleted).
  caf::error attach_contents(runtime::item_report& report) const {
    for (const auto& file : report.result.files) {
      if (!file.changed())
        continue;
      runtime::file_content content{file.path, file.hash_after, {}};
      if (!file.hash_after.empty()) {
        auto bytes = runtime::read_file(st_.setup.worktree + "/" + file.path);
        if (!bytes)
          return bytes.error();
        content.bytes = std::move(*bytes);
        content.hash = runtime::content_hash(content.bytes); // what travels is what was read
      }
      report.contents.push_back(std::move(content));
    }
    return {};
  }

  /// Asks the worktree's owner to restore the item's files, then continues with `next`.
  template <class F>
  void restore_then(F next) {
    tool_metrics{*st_.setup.services.metrics}.count(
      "drover_item_reverts_total", "Items whose files were restored to base before a retry.");
    self_->request(st_.setup.workspace_owner, caf::infinite, restore_atom::value, st_.item.files)
      .then([next](bool) mutable { next(); },
            [self = self_](caf::error& error) { self->quit(std::move(error)); });
  }

  milliseconds jittered(milliseconds pause) {
    // "Equal jitter": half fixed, half random, so retries of many items spread out.
    static thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_int_distribution<int64_t> spread{0, pause.count() / 2};
    return milliseconds{pause.count() / 2 + spread(random)};
  }

  caf::stateful_actor<invoker_state>* self_;
  invoker_state& st_;
};

} // namespace

caf::behavior invoker(caf::stateful_actor<invoker_state>* self, invoker_setup setup) {
  self->state.setup = std::move(setup);
  self->state.holder = self->state.setup.services.node_id + "#" + std::to_string(self->id());
  self->state.in_flight.count = self->state.setup.services.items_in_flight;
  invoker_logic{self}.pull();
  return {
    [self](const process_finished& finished) { invoker_logic{self}.on_finished(finished); },
    [self](retry_atom, uint64_t token) { invoker_logic{self}.on_retry(token); },
    [self](cancel_atom) { invoker_logic{self}.on_cancel(); },
  };
}

} // namespace drover::actors
