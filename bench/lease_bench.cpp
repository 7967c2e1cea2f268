// Lease capacity (issue 5): work items granted and recorded per second by one coordinator
// serving three nodes whose tool is a no-op.
//
// This process is the coordinator's node: a store, its checkpoint writer, a tool catalog with a
// no-op tool, the job manager (job_services.invokers_per_job = 0, so no local invokers), and
// the transport, dispatcher and node actor wired as apps/node.cpp wires them. A job of
// one-file items is submitted as `drover batch` submits it (the coordinator plans it: a
// worktree at the base commit, its files enumerated and chunked). Three node processes (copies
// of this executable) each run lease clients that send exactly what a remote invoker sends
// (actors/invoker.cpp pull() and report()) through a proxy to the "jobs" actor of this node:
// lease_request, then at once an item_report of the granted item (ok, every file's hash
// unchanged, one successful attempt, no contents), then the next lease_request.
//
// The figure is items recorded per second: from the moment the nodes are told to start until
// the job record in the store counts every item done (each count is written in the same batch
// as the item's state and result). The peer, measured in the same run on a job of its own, is
// the same clients as actors of this process talking to the job manager directly: the same
// coordinator, store and writer without the transport.
//
// Usage: lease_bench [items [clients_per_node [nodes]]]  (defaults 50000 16 3)
// LEASE_BENCH_FILES=N puts N files in each item (1 by default); BENCH_KEEP_TMP=1 keeps the
// directory under /tmp.

#include <fcntl.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/job_manager.hpp"
#include "actors/node_actor.hpp"
#include "bench/detail/child_process.hpp"
#include "bench/detail/process_clock.hpp"
#include "bench/detail/wired_node.hpp"
#include "cluster/inbound_dispatcher.hpp"
#include "cluster/zmq_endpoint.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/checkpoint_writer.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/content_hash.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/process_runner.hpp"
#include "runtime/store.hpp"
#include "runtime/tool_catalog.hpp"

namespace drover::bench {
namespace {

using namespace std::chrono_literals;
using detail::child_process;
using detail::cpu_us;
using detail::now_ns;
using detail::report;

const std::string coordinator_id = "c0c0000000000001";
const std::string file_content = "x\n";

/// Runs `argv` (no shell) in `dir` with stdin from `input` (if not empty); returns its stdout
/// without the trailing newline. Throws when it fails.
std::string run(const std::vector<std::string>& argv, const std::string& dir, const std::string& input = {}) {
  const auto out_path = dir + "/.bench-out";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.empty() ? "/dev/null" : input.c_str(),
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> full{"git", "-C", dir};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& arg : full)
    args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int status = 0;
  const int failed = posix_spawnp(&pid, "git", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error{"git " + argv.front() + " failed in " + dir};
  std::ifstream file{out_path};
  std::string text{std::istreambuf_iterator<char>{file}, {}};
  std::filesystem::remove(out_path);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

/// Makes a repository of `count` files with the same content, committed with git's plumbing
/// (one blob, one index), which takes a second where `git add` of 100,000 files takes many.
void make_repo(const std::string& dir, uint64_t count) {
  std::filesystem::create_directories(dir);
  run({"-c", "init.defaultBranch=main", "init", "-q"}, dir);
  const auto blob_input = dir + "/../blob";
  std::ofstream{blob_input} << file_content;
  const auto blob = run({"hash-object", "-w", "--stdin"}, dir, blob_input);
  const auto index_input = dir + "/../index-info";
  {
    std::ofstream lines{index_input};
    char path[32];
    for (uint64_t i = 0; i < count; ++i) {
      std::snprintf(path, sizeof(path), "src/f%07llu.txt", static_cast<unsigned long long>(i));
      lines << "100644 " << blob << '\t' << path << '\n';
    }
  }
  run({"update-index", "--add", "--index-info"}, dir, index_input);
  const auto tree = run({"write-tree"}, dir);
  const auto commit = run({"-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit-tree", tree,
                           "-m", "files"},
                          dir);
  run({"update-ref", "refs/heads/main", commit}, dir);
}

const char* noop_tool = "id: noop\n"
                        "version: \"1\"\n"
                        "description: Does nothing to its files\n"
                        "capabilities: [lint]\n"
                        "languages: []\n"
                        "file_patterns: [\"**/*\"]\n"
                        "argv: [\"true\", \"{files}\"]\n"
                        "files_per_invocation: 1\n"
                        "side_effect: read-only\n";

// ---- the lease clients ------------------------------------------------------------------

using go_atom = caf::atom_constant<caf::atom("go")>;

struct lease_client_state {
  caf::actor jobs;
  std::string job_id;
  std::string holder;
  std::string node;
  std::string hash; ///< of every file: the no-op leaves them as they were
  std::atomic<uint64_t>* items = nullptr;
  static inline const char* name = "bench.lease_client";
};

using client_pointer = caf::stateful_actor<lease_client_state>*;

void pull(client_pointer self);

/// Reports `grant`'s item as a no-op invoker would: ok, every file unchanged, one attempt.
void report_item(client_pointer self, const runtime::lease_grant& grant) {
  auto& st = self->state;
  runtime::item_result result;
  result.index = grant.index;
  result.ok = true;
  result.tool = "noop";
  result.tool_version = "1";
  for (const auto& file : grant.files)
    result.files.push_back({file, st.hash, st.hash});
  result.attempts.push_back({"noop", "1", "success", 0, 0, 0, ""});
  result.node = st.node;
  self->request(st.jobs, caf::infinite, runtime::item_report{st.job_id, st.holder, grant.epoch, std::move(result), {}})
    .then(
      [self](const runtime::report_ack&) {
        self->state.items->fetch_add(1, std::memory_order_relaxed);
        pull(self);
      },
      [self](caf::error& error) { self->quit(std::move(error)); });
}

void pull(client_pointer self) {
  auto& st = self->state;
  self->request(st.jobs, caf::infinite, runtime::lease_request{st.job_id, st.holder})
    .then(
      [self](const runtime::lease_grant& grant) {
        switch (grant.status) {
          case runtime::lease_status::granted: return report_item(self, grant);
          case runtime::lease_status::wait: return pull(self);
          case runtime::lease_status::job_over: return self->quit();
        }
      },
      [self](caf::error& error) { self->quit(std::move(error)); });
}

/// Leases and reports items of `job_id` from `jobs` until the job is over, as a remote invoker
/// with a no-op tool does.
caf::behavior lease_client(client_pointer self, caf::actor jobs, std::string job_id, std::string node,
                           std::atomic<uint64_t>* items) {
  auto& st = self->state;
  st.jobs = std::move(jobs);
  st.job_id = std::move(job_id);
  st.node = std::move(node);
  st.holder = st.node + "#" + std::to_string(self->id());
  st.hash = runtime::content_hash(file_content);
  st.items = items;
  pull(self);
  return {[](go_atom) {}};
}

/// Runs `count` lease clients against `jobs` until each has quit; returns the items reported.
uint64_t run_clients(caf::actor_system& system, const caf::actor& jobs, const std::string& job_id,
                     const std::string& node, uint64_t count) {
  std::atomic<uint64_t> items{0};
  caf::scoped_actor self{system};
  for (uint64_t i = 0; i < count; ++i)
    self->spawn<caf::monitored>(lease_client, jobs, job_id, node, &items);
  uint64_t ended = 0;
  self->receive_while([&] { return ended < count; })([&](const caf::down_msg& down) {
    ++ended;
    if (down.reason && down.reason != caf::exit_reason::normal)
      std::cerr << "lease client: " << runtime::describe(down.reason) << "\n";
  });
  return items.load();
}

/// A node process: its own endpoint and dispatcher, a proxy of the coordinator node's "jobs",
/// and `clients` lease clients once told "go JOB".
int serve_node(const std::string& coordinator_endpoint, uint64_t clients, const std::string& node_id) {
  observability::prometheus_metrics metrics;
  detail::wired_node node{node_id, metrics};
  node.start();
  auto jobs = node.proxy(coordinator_id, coordinator_endpoint, runtime::actor_names::jobs);
  {
    // A lease request for a job that does not exist gets job_over: the connection is up.
    caf::scoped_actor self{node.system()};
    self->request(jobs, 10s, runtime::lease_request{"warm-up", node_id + "#0"})
      .receive([](const runtime::lease_grant&) {},
               [](const caf::error& error) { std::cerr << "warm-up: " << runtime::describe(error) << "\n"; });
  }
  report("ready");
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream words{line};
    std::string command;
    std::string job_id;
    words >> command >> job_id;
    if (command == "go") {
      const auto cpu_before = cpu_us();
      const auto items = run_clients(node.system(), jobs, job_id, node_id, clients);
      report("done " + std::to_string(items) + " " + std::to_string(cpu_us() - cpu_before));
    }
  }
  return 0;
}

// ---- the coordinator node ---------------------------------------------------------------

/// The coordinator's node: store, writer, catalog, job manager, transport, dispatcher.
class coordinator_node {
public:
  explicit coordinator_node(const std::string& dir) : dir_(dir) {
    auto opened = runtime::store::open(dir + "/store");
    if (!opened)
      throw std::runtime_error{runtime::describe(opened.error())};
    db_ = std::move(*opened);
    writer_ = std::make_unique<runtime::checkpoint_writer>(*db_, runtime::durability::process, metrics_);
    if (auto error = catalog_.add_yaml(noop_tool, "noop.yaml"))
      throw std::runtime_error{runtime::describe(error)};
    actors::job_services services;
    services.db = db_.get();
    services.writer = writer_.get();
    services.runner = &runner_;
    services.catalog = &catalog_;
    services.metrics = &metrics_;
    services.node_id = coordinator_id;
    services.items_in_flight = &items_in_flight_;
    services.jobs_dir = dir + "/jobs";
    services.drover_binary = detail::own_executable();
    services.invokers_per_job = 0;
    jobs_ = node_.system().spawn<caf::detached>(actors::job_manager, std::move(services));
    auto node_actor = caf::actor_cast<caf::actor>(node_.system().spawn(
      actors::node_actor_behavior, runtime::node_identity{coordinator_id, 1, 0, 0},
      runtime::node_hello{coordinator_id, node_.endpoint(), "bench"}));
    node_.expose(runtime::actor_names::node, node_actor);
    node_.expose(runtime::actor_names::jobs, jobs_);
    node_.start();
  }

  const std::string& endpoint() const { return node_.endpoint(); }
  caf::actor_system& system() { return node_.system(); }
  const caf::actor& jobs() const { return jobs_; }

  /// Submits a job over every file of `repo`, `files_per_item` per item; returns its id once
  /// the coordinator has planned it (the job is running).
  std::string submit(const std::string& repo, uint32_t files_per_item) {
    runtime::job_spec spec;
    spec.repo = repo;
    spec.include = {"src/*.txt"};
    spec.tools = {"noop"};
    spec.batch_size = files_per_item;
    std::string id;
    caf::scoped_actor self{node_.system()};
    self->request(jobs_, 30s, actors::submit_job{spec})
      .receive([&](const std::string& job_id) { id = job_id; },
               [](const caf::error& error) { throw std::runtime_error{runtime::describe(error)}; });
    while (job(id).state != runtime::job_state::running) {
      if (runtime::is_final(job(id).state))
        throw std::runtime_error{"job " + id + " ended while planning: " + job(id).message};
      std::this_thread::sleep_for(10ms);
    }
    return id;
  }

  /// Returns the job as stored.
  runtime::job_record job(const std::string& id) const {
    auto stored = db_->get(runtime::column::jobs, id);
    auto job = stored ? runtime::decode_job(*stored) : caf::expected<runtime::job_record>{stored.error()};
    if (!job)
      throw std::runtime_error{runtime::describe(job.error())};
    return *job;
  }

  /// Waits until the store counts every item of job `id` recorded; returns when that was seen.
  int64_t wait_recorded(const std::string& id) const {
    for (;;) {
      const auto stored = job(id);
      if (stored.items_done + stored.items_failed >= stored.items_total)
        return now_ns();
      if (runtime::is_final(stored.state))
        throw std::runtime_error{"job " + id + " ended early: " + stored.message};
      std::this_thread::sleep_for(2ms);
    }
  }

  /// Waits until job `id` has ended and its coordinator has removed the worktree (git working
  /// through the files for seconds), so that the next job runs alone.
  void wait_final(const std::string& id) const {
    while (!runtime::is_final(job(id).state) || std::filesystem::exists(dir_ + "/jobs/" + id + "/worktree"))
      std::this_thread::sleep_for(10ms);
  }

  std::string stats() const {
    const auto text = metrics_.render_text();
    std::ostringstream out;
    out << "granted " << detail::metric_sum(text, "drover_leases_total{event=\"granted\"")
        << ", dropped " << detail::metric_sum(text, "drover_transport_sends_dropped_total")
        << ", undeliverable " << detail::metric_sum(text, "drover_transport_undeliverable_total");
    return out.str();
  }

private:
  std::string dir_;
  observability::prometheus_metrics metrics_;
  std::unique_ptr<runtime::store> db_;
  std::unique_ptr<runtime::checkpoint_writer> writer_;
  runtime::tool_catalog catalog_;
  runtime::process_runner runner_;
  std::atomic<uint32_t> items_in_flight_{0};
  // After the services: it waits for the actors, which use them, before they go.
  detail::wired_node node_{coordinator_id, metrics_};
  caf::actor jobs_;
};

struct measured {
  double items_per_second = 0;
  uint64_t items = 0;
  double seconds = 0;
};

measured measure(coordinator_node& node, const std::string& job_id, int64_t start) {
  const auto end = node.wait_recorded(job_id);
  measured result;
  result.items = node.job(job_id).items_total;
  result.seconds = static_cast<double>(end - start) / 1e9;
  result.items_per_second = static_cast<double>(result.items) / result.seconds;
  return result;
}

int run(uint64_t items, uint64_t clients, uint64_t nodes) {
  const auto files_per_item = static_cast<uint32_t>(detail::env_number("LEASE_BENCH_FILES", 1));
  char pattern[] = "/tmp/drover-lease-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr)
    throw std::runtime_error{"mkdtemp failed"};
  const std::string dir = pattern;
  const double load_before = detail::load_average();
  make_repo(dir + "/repo", items * files_per_item);
  uint64_t reported = 0;
  int64_t coordinator_cpu_us = 0; ///< the coordinator's process during the remote run
  int64_t nodes_cpu_us = 0;       ///< the node processes' from "go" until their clients ended
  measured in_process;
  measured remote;
  std::string stats;
  {
    coordinator_node node{dir};
    std::vector<std::unique_ptr<child_process>> workers;
    for (uint64_t i = 0; i < nodes; ++i) {
      char node_id[32];
      std::snprintf(node_id, sizeof(node_id), "a0de%012llx", static_cast<unsigned long long>(i + 1));
      workers.push_back(std::make_unique<child_process>(
        std::vector<std::string>{"--node", node.endpoint(), std::to_string(clients), node_id}));
    }
    for (auto& worker : workers)
      if (auto line = worker->read_line(); line != "ready")
        throw std::runtime_error{"a node did not start: " + line};

    // The peer first: the same clients in this process, sending to the job manager directly.
    const auto local_job = node.submit(dir + "/repo", files_per_item);
    std::atomic<uint64_t> local_items{0};
    std::thread local{[&] {
      local_items = run_clients(node.system(), node.jobs(), local_job, coordinator_id, clients * nodes);
    }};
    in_process = measure(node, local_job, now_ns());
    local.join();
    node.wait_final(local_job);

    const auto remote_job = node.submit(dir + "/repo", files_per_item);
    const auto cpu_before = cpu_us();
    const auto start = now_ns();
    for (auto& worker : workers)
      worker->send("go " + remote_job);
    remote = measure(node, remote_job, start);
    coordinator_cpu_us = cpu_us() - cpu_before;
    for (auto& worker : workers) {
      std::istringstream done{worker->read_line()};
      std::string word;
      uint64_t count = 0;
      int64_t cpu = 0;
      done >> word >> count >> cpu;
      reported += count;
      nodes_cpu_us += cpu;
    }
    node.wait_final(remote_job);
    stats = node.stats();
    for (auto& worker : workers)
      worker->finish();
  }
  std::printf("lease_bench: one coordinator, %llu items of %u file(s), no-op tool, durability process; "
              "%llu nodes x %llu lease clients; load average %.2f\n",
              static_cast<unsigned long long>(items), files_per_item, static_cast<unsigned long long>(nodes),
              static_cast<unsigned long long>(clients), load_before);
  std::printf("  through the transport   %9.0f items/s  (%llu items in %.3f s; %llu reported by the nodes)  "
              "target >= 20,000/s\n",
              remote.items_per_second, static_cast<unsigned long long>(remote.items), remote.seconds,
              static_cast<unsigned long long>(reported));
  std::printf("  peer, in-process        %9.0f items/s  (%llu items in %.3f s; the same %llu clients as local actors)\n",
              in_process.items_per_second, static_cast<unsigned long long>(in_process.items),
              in_process.seconds, static_cast<unsigned long long>(clients * nodes));
  std::printf("  ratio transport/in-process %6.3f\n", remote.items_per_second / in_process.items_per_second);
  const auto per_item = [&](int64_t cpu) { return static_cast<double>(cpu) / static_cast<double>(remote.items); };
  std::printf("  CPU per item through the transport: coordinator process %.1f us (alone on these 2 cores: "
              "about %.0f items/s), the node processes %.1f us together\n",
              per_item(coordinator_cpu_us), 2e6 / per_item(coordinator_cpu_us), per_item(nodes_cpu_us));
  std::printf("  coordinator node: %s\n", stats.c_str());
  std::printf("  load average %.2f at the end\n", detail::load_average());
  if (std::getenv("BENCH_KEEP_TMP") == nullptr)
    std::filesystem::remove_all(dir);
  else
    std::printf("  kept %s\n", dir.c_str());
  return 0;
}

} // namespace
} // namespace drover::bench

int main(int argc, char** argv) {
  if (argc > 1 && std::string{argv[1]} == "--node")
    return argc == 5 ? drover::bench::serve_node(argv[2], std::strtoull(argv[3], nullptr, 10), argv[4]) : 2;
  const uint64_t items = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 50000;
  const uint64_t clients = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 16;
  const uint64_t nodes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 3;
  try {
    return drover::bench::run(items, clients, nodes);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "lease_bench: %s\n", error.what());
    return 1;
  }
}
