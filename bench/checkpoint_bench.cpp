// Checkpoint throughput: item results recorded per second through runtime::checkpoint_writer,
// each submission shaped like the coordinator's on_report (one store_batch with the item
// record, the item result and the job record), with many submitters at once; printed as a
// ratio against raw RocksDB WriteBatches of the same records and keys, on the store's options,
// in the same process (the ceiling the writer's group commit can approach), for `process` and
// `power` durability.
//
// Every iteration runs the raw peer and then the writer on the same number of results, each on
// its own store, so that both see the same machine (disk and neighbours vary by the minute):
// the iteration time (manual time) is the writer's; raw_per_second and vs_raw come from the
// raw bursts of the same iterations.
//
//   build-bench/bench/checkpoint_bench                       # everything, then a summary
//   build-bench/bench/checkpoint_bench --benchmark_filter=/power/  # one durability level
//   CHECKPOINT_BENCH_FILES=5 build-bench/bench/checkpoint_bench      # smaller records

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include "observability/prometheus_metrics.hpp"
#include "runtime/checkpoint_writer.hpp"
#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"
#include "runtime/job_model.hpp"
#include "runtime/store.hpp"

namespace {

using drover::runtime::column;
using drover::runtime::durability;
namespace runtime = drover::runtime;

/// Files per item (and per result): 50 like a clang-format item; CHECKPOINT_BENCH_FILES=N
/// overrides it to see how the record size moves the figures.
size_t files_per_item = 50;
/// Distinct item/result variants per submitter, so that values differ like real ones do.
constexpr size_t variants = 16;
/// Item results per raw WriteBatch: what one group commit of the writer would ideally hold.
constexpr size_t raw_group = 64;
/// Item results per benchmark iteration (split between the submitters).
constexpr size_t results_per_iteration = 8192;

/// A fresh directory under /tmp, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir() {
    char name[] = "/tmp/drover-checkpoint-bench-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = name;
  }
  ~temp_dir() {
    std::error_code ignored; // a benchmark that cannot clean /tmp has nothing better to do
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

std::string hex(uint64_t value, int digits) {
  static constexpr char alphabet[] = "0123456789abcdef";
  std::string text(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    text[static_cast<size_t>(i)] = alphabet[value & 0xf];
  return text;
}

/// splitmix64: distinct, well-spread hashes for made-up file contents.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

runtime::job_record make_job(const std::string& id) {
  runtime::job_record job;
  job.id = id;
  job.spec.repo = "/srv/git/monorepo";
  job.spec.include = {"**/*.h", "**/*.cpp"};
  job.spec.exclude = {"third_party/**"};
  job.spec.tools = {"clang-format"};
  job.spec.mode = runtime::job_mode::apply;
  job.spec.batch_size = static_cast<uint32_t>(files_per_item);
  job.state = runtime::job_state::running;
  job.base_commit = hex(mix(1), 16) + hex(mix(2), 16) + hex(mix(3), 8);
  job.worktree = "/var/lib/drover/jobs/" + id + "/worktree";
  job.created_unix_ms = job.updated_unix_ms = now_ms();
  job.items_total = 2000;
  job.files_total = job.items_total * files_per_item;
  return job;
}

/// One item's record and result as the coordinator stores them: 50 files, one clang-format
/// attempt, about one file in five changed.
struct item_variant {
  runtime::item_record item;
  runtime::item_result result;
};

item_variant make_variant(uint64_t seed) {
  item_variant made;
  made.item.state = runtime::item_state::done;
  made.item.epoch = 1;
  made.item.attempts = 1;
  made.result.ok = true;
  made.result.tool = "clang-format";
  made.result.tool_version = "14.0.6";
  made.result.duration_ms = 180;
  for (size_t f = 0; f < files_per_item; ++f) {
    const auto h = mix(seed * files_per_item + f);
    char path[96];
    std::snprintf(path, sizeof(path), "src/component_%03u/detail/module_%05u_impl.cpp",
                  static_cast<unsigned>(h % 1000), static_cast<unsigned>((h >> 12) % 100000));
    made.item.files.emplace_back(path);
    runtime::file_result file;
    file.path = path;
    file.hash_before = hex(h, 16);
    file.hash_after = (h >> 40) % 5 == 0 ? hex(mix(h), 16) : file.hash_before;
    made.result.files.push_back(std::move(file));
  }
  runtime::tool_attempt attempt;
  attempt.tool = "clang-format";
  attempt.version = "14.0.6";
  attempt.outcome = "success";
  attempt.duration_ms = 180;
  made.result.attempts.push_back(std::move(attempt));
  return made;
}

/// What the summary prints: the last (reported) run of each benchmark.
struct figures {
  double writer_per_second = 0;
  double raw_per_second = 0;
};
std::mutex figures_mutex;
std::map<std::string, figures> reported;

std::string level_name(durability level) {
  return level == durability::power ? "power" : "process";
}

/// Returns the job id of submitter `s` (one coordinator, one job).
std::string job_id(size_t s) {
  return hex(mix(1000 + s), 16);
}

/// The raw peer: the same column families, options, keys and encoded values written straight
/// through rocksdb::DB from one thread, `group` item results (3 puts each) per WriteBatch,
/// synced for power durability. Values are encoded up front: this peer measures RocksDB alone.
/// With `jobs` jobs, runs of `run` consecutive results go to the jobs in turn, the way the
/// submitters' results reach the writer: the memtable's insert cost depends on how ordered
/// the keys are (one job in order is the cheapest case).
class raw_peer {
public:
  raw_peer(const std::string& path, durability level, size_t group, size_t jobs, size_t run)
    : group_(group)
    , run_(run) {
    // runtime::store::open creates the database and records its options in the OPTIONS file;
    // reopening with those keeps the peer on the store's options whatever they become.
    if (auto created = runtime::store::open(path); !created) {
      status_ = rocksdb::Status::IOError(runtime::describe(created.error()));
      return;
    }
    rocksdb::DBOptions options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    status_ = rocksdb::LoadLatestOptions(rocksdb::ConfigOptions{}, path, &options, &families);
    if (!status_.ok())
      return;
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    status_ = rocksdb::DB::Open(options, path, families, &handles, &raw);
    db_.reset(raw);
    for (size_t i = 0; i < handles.size(); ++i)
      handles_[families[i].name] = handles[i];
    write_options_.sync = level == durability::power;
    for (size_t v = 0; v < variants; ++v) {
      auto variant = make_variant(v);
      variant.item.index = variant.result.index = static_cast<uint32_t>(v);
      item_values_.push_back(runtime::encode(variant.item));
      result_values_.push_back(runtime::encode(variant.result));
    }
    for (size_t j = 0; j < jobs; ++j) {
      job_ids_.push_back(job_id(j));
      auto job = make_job(job_ids_.back());
      job_values_.emplace_back();
      for (size_t v = 0; v < variants; ++v) {
        ++job.items_done;
        job_values_.back().push_back(runtime::encode(job));
      }
    }
  }
  ~raw_peer() {
    if (!db_)
      return;
    for (auto& [name, handle] : handles_)
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  /// Returns the status of the last open or write.
  const rocksdb::Status& status() const { return status_; }

  /// Returns the encoded bytes of one item result: item record, result and job record.
  size_t bytes_per_result() const {
    return item_values_[0].size() + result_values_[0].size() + job_values_[0][0].size();
  }

  /// Writes `count` results (a multiple of the group) and returns false on a write error.
  bool write(size_t count) {
    auto* items = handles_.at(runtime::to_string(column::items));
    auto* results = handles_.at(runtime::to_string(column::results));
    auto* jobs = handles_.at(runtime::to_string(column::jobs));
    for (size_t done = 0; done < count; done += group_) {
      rocksdb::WriteBatch batch;
      for (size_t i = 0; i < group_; ++i, ++written_) {
        // Result number `written_` is number `index` of job `j`.
        const auto turn = written_ / run_;
        const auto j = turn % job_ids_.size();
        const auto index = static_cast<uint32_t>(turn / job_ids_.size() * run_ + written_ % run_);
        const auto key = runtime::item_key(job_ids_[j], index);
        const auto v = index % variants;
        batch.Put(items, key, item_values_[v]).PermitUncheckedError();
        batch.Put(results, key, result_values_[v]).PermitUncheckedError();
        batch.Put(jobs, job_ids_[j], job_values_[j][v]).PermitUncheckedError();
      }
      status_ = db_->Write(write_options_, &batch);
      if (!status_.ok())
        return false;
    }
    return true;
  }

private:
  size_t group_;
  size_t run_;
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> handles_; ///< by column family name
  rocksdb::WriteOptions write_options_;
  std::vector<std::string> job_ids_;
  std::vector<std::string> item_values_, result_values_; ///< by variant
  std::vector<std::vector<std::string>> job_values_;     ///< by job, then variant
  size_t written_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Returns the CPU time of this process so far, all threads (RocksDB's background ones too).
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// The raw peer alone on one job, keys in order, `group` results per WriteBatch: with group 1
/// and power durability, one fsync per result, which is what group commit avoids; with group
/// 64, the cheapest case of the interleaved peers (not measured side by side with the writer).
void raw_rocksdb(benchmark::State& state) {
  const auto level = state.range(0) != 0 ? durability::power : durability::process;
  const auto group = static_cast<size_t>(state.range(1));
  temp_dir dir;
  raw_peer peer{dir.path() + "/raw", level, group, 1, 1};
  if (!peer.status().ok()) {
    state.SkipWithError(peer.status().ToString().c_str());
    return;
  }
  const size_t per_iteration = group * 128;
  for (auto _ : state)
    if (!peer.write(per_iteration)) {
      state.SkipWithError(peer.status().ToString().c_str());
      break;
    }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(per_iteration));
  state.counters["bytes_per_result"] = static_cast<double>(peer.bytes_per_result());
}

/// One coordinator's side of the benchmark: its job, its item variants and its acknowledgements.
class submitter {
public:
  submitter(std::string job_id, uint64_t seed) : job_(make_job(job_id)) {
    for (size_t v = 0; v < variants; ++v)
      variants_.push_back(make_variant(seed * variants + v));
  }

  /// Records `count` results as on_report does, at most `window` unacknowledged at a time
  /// (with a full window it waits until half of it is acknowledged, as a coordinator woken by
  /// a mailbox of acknowledgements would see several), and returns once all are durable.
  void run(runtime::store& db, runtime::checkpoint_writer& writer, size_t count, size_t window) {
    window_ = window;
    for (size_t i = 0; i < count; ++i) {
      if (outstanding_ == window) {
        std::unique_lock lock{mutex_};
        acked_.wait(lock, [&] { return outstanding_ <= window / 2; });
      }
      ++outstanding_;
      const auto index = next_index_++;
      auto& variant = variants_[index % variants];
      variant.item.index = variant.result.index = index;
      ++job_.items_done;
      job_.updated_unix_ms = now_ms();
      auto batch = db.batch();
      const auto key = runtime::item_key(job_.id, index);
      batch.put(column::items, key, runtime::encode(variant.item));
      batch.put(column::results, key, runtime::encode(variant.result));
      batch.put(column::jobs, job_.id, runtime::encode(job_));
      writer.submit(std::move(batch), [this](const caf::error& error) { acknowledge(error); });
    }
    std::unique_lock lock{mutex_};
    acked_.wait(lock, [&] { return outstanding_ == 0; });
  }

  /// Returns the first write error, if any.
  caf::error error() {
    std::lock_guard guard{mutex_};
    return error_;
  }

private:
  /// The writer's callback. Like the coordinator's (caf::anon_send: a lock-free enqueue that
  /// wakes the actor only when it is idle), it wakes the submitter only when it may be waiting:
  /// for half of a full window, or for the last acknowledgement. Taking the mutex once after
  /// the decrement means the submitter either sees the new count or already waits; the notify
  /// comes after the mutex is released, so the woken thread does not block on it.
  void acknowledge(const caf::error& error) {
    if (error) {
      std::lock_guard guard{mutex_};
      if (!error_)
        error_ = error;
    }
    const auto before = outstanding_.fetch_sub(1);
    if (before == window_ / 2 + 1 || before == 1) {
      { std::lock_guard guard{mutex_}; }
      acked_.notify_one();
    }
  }

  runtime::job_record job_;
  std::vector<item_variant> variants_;
  uint32_t next_index_ = 0;
  size_t window_ = 0;
  std::mutex mutex_; // guards error_; run() waits on acked_ under it
  std::condition_variable acked_;
  std::atomic<size_t> outstanding_{0};
  caf::error error_;
};

/// Returns the value of the sample line `name` in Prometheus text, or 0.
double sample(const std::string& text, const std::string& name) {
  std::istringstream lines{text};
  std::string line;
  while (std::getline(lines, line))
    if (line.compare(0, name.size() + 1, name + " ") == 0)
      return std::strtod(line.c_str() + name.size() + 1, nullptr);
  return 0;
}

/// Drover: `submitters` threads (coordinators) with up to `window` unacknowledged submissions
/// each, through one checkpoint_writer on a runtime::store; each iteration first runs the raw
/// peer on as many results (batches of raw_group), on a store of its own.
void checkpoint_writer(benchmark::State& state) {
  const auto level = state.range(0) != 0 ? durability::power : durability::process;
  const auto submitters = static_cast<size_t>(state.range(1));
  const auto window = static_cast<size_t>(state.range(2));
  temp_dir dir;
  auto opened = runtime::store::open(dir.path() + "/store");
  if (!opened) {
    state.SkipWithError(runtime::describe(opened.error()).c_str());
    return;
  }
  auto db = std::move(*opened);
  // A submitter refills half of its window at a time (submitter::run): counted at the writer,
  // a job's results arrive in runs of 6-9 with 16x16 and of about 3 with 64x4.
  raw_peer peer{dir.path() + "/raw", level, raw_group, submitters, window / 2 + 1};
  if (!peer.status().ok()) {
    state.SkipWithError(peer.status().ToString().c_str());
    return;
  }
  drover::observability::prometheus_metrics metrics;
  std::vector<std::unique_ptr<submitter>> coordinators;
  for (size_t s = 0; s < submitters; ++s)
    coordinators.push_back(std::make_unique<submitter>(job_id(s), s));
  const size_t per_submitter = results_per_iteration / submitters;
  const size_t per_iteration = per_submitter * submitters;
  double writer_seconds = 0;
  double raw_seconds = 0;
  double writer_cpu = 0;
  double raw_cpu = 0;
  {
    runtime::checkpoint_writer writer{*db, level, metrics};
    for (auto _ : state) {
      auto started = std::chrono::steady_clock::now();
      auto cpu = process_cpu_seconds();
      if (!peer.write(per_iteration)) {
        state.SkipWithError(peer.status().ToString().c_str());
        break;
      }
      raw_seconds += seconds_since(started);
      raw_cpu += process_cpu_seconds() - cpu;
      started = std::chrono::steady_clock::now();
      cpu = process_cpu_seconds();
      std::vector<std::thread> threads;
      for (auto& coordinator : coordinators)
        threads.emplace_back([&, c = coordinator.get()] { c->run(*db, writer, per_submitter, window); });
      for (auto& thread : threads)
        thread.join();
      const auto elapsed = seconds_since(started);
      writer_seconds += elapsed;
      writer_cpu += process_cpu_seconds() - cpu;
      state.SetIterationTime(elapsed);
    }
  }
  for (auto& coordinator : coordinators)
    if (auto error = coordinator->error()) {
      state.SkipWithError(runtime::describe(error).c_str());
      return;
    }
  const auto results = static_cast<double>(state.iterations() * per_iteration);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(per_iteration));
  state.counters["raw_per_second"] = results / raw_seconds;
  state.counters["vs_raw"] = raw_seconds / writer_seconds;
  state.counters["bytes_per_result"] = static_cast<double>(peer.bytes_per_result());
  // CPU per result, all threads of the process: the cost side of the rates, and less moved by
  // the neighbours than wall time. The writer's includes the submitters' encoding.
  state.counters["cpu_us_per_result"] = writer_cpu / results * 1e6;
  state.counters["raw_cpu_us_per_result"] = raw_cpu / results * 1e6;
  const auto text = metrics.render_text();
  const auto groups = sample(text, "drover_checkpoint_group_size_count");
  if (groups > 0)
    state.counters["avg_group"] = sample(text, "drover_checkpoint_group_size_sum") / groups;
  // The share of the writer's time its thread spent in store writes (and syncs): near 1, the
  // writer thread is the bottleneck; well below, it waits for the submitters.
  state.counters["write_busy"] =
    sample(text, "drover_checkpoint_write_seconds_sum") / writer_seconds;
  std::lock_guard guard{figures_mutex};
  reported[level_name(level) + "/" + std::to_string(submitters) + "x" + std::to_string(window)] =
    figures{results / writer_seconds, results / raw_seconds};
}

/// What one submission costs the coordinator before the writer sees it: three encodes and a
/// store_batch (single thread, no store writes).
void encode_submission(benchmark::State& state) {
  temp_dir dir;
  auto opened = runtime::store::open(dir.path() + "/store");
  if (!opened) {
    state.SkipWithError(runtime::describe(opened.error()).c_str());
    return;
  }
  auto db = std::move(*opened);
  auto job = make_job("0f3a9c2e5b7d1846");
  auto variant = make_variant(7);
  uint32_t index = 0;
  for (auto _ : state) {
    variant.item.index = variant.result.index = index++;
    ++job.items_done;
    auto batch = db->batch();
    const auto key = runtime::item_key(job.id, variant.item.index);
    batch.put(column::items, key, runtime::encode(variant.item));
    batch.put(column::results, key, runtime::encode(variant.result));
    batch.put(column::jobs, job.id, runtime::encode(job));
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations());
}

/// Registers the encode cost, the writer runs (each with its raw peer) per durability level,
/// and for contrast one fsync per result and one job's results in order: names like
/// "checkpoint_writer/power/submitters:16/window:16".
void register_benchmarks() {
  benchmark::RegisterBenchmark("encode_submission", encode_submission);
  for (auto power : {0, 1}) {
    const std::string level = power != 0 ? "power" : "process";
    for (auto [submitters, window] : {std::pair<int64_t, int64_t>{16, 16}, {64, 4}})
      benchmark::RegisterBenchmark(("checkpoint_writer/" + level + "/submitters:" + std::to_string(submitters)
                                    + "/window:" + std::to_string(window))
                                     .c_str(),
                                   checkpoint_writer)
        ->Args({power, submitters, window})
        ->UseManualTime()
        ->MinTime(3.0);
  }
  benchmark::RegisterBenchmark("raw_rocksdb/power/group:1", raw_rocksdb)
    ->Args({1, 1})
    ->UseRealTime()
    ->MinTime(1.0);
  for (auto power : {0, 1})
    benchmark::RegisterBenchmark(
      power != 0 ? "raw_rocksdb/power/group:64" : "raw_rocksdb/process/group:64", raw_rocksdb)
      ->Args({power, raw_group})
      ->UseRealTime()
      ->MinTime(1.0);
}

void print_summary() {
  std::lock_guard guard{figures_mutex};
  const std::map<std::string, double> targets{{"process", 100000}, {"power", 40000}};
  std::printf("\nsummary: item results of %zu files recorded per second; ratio = checkpoint_writer / raw "
              "RocksDB WriteBatches of %zu results, interleaved in this process\n",
              files_per_item, raw_group);
  for (const auto& [name, rates] : reported) {
    const auto level = name.substr(0, name.find('/'));
    const auto target = targets.at(level);
    std::printf("  %-14s writer %8.0f/s  raw %8.0f/s  ratio %.3f  target >= %.0f/s: %s\n", name.c_str(),
                rates.writer_per_second, rates.raw_per_second,
                rates.writer_per_second / rates.raw_per_second, target,
                rates.writer_per_second >= target ? "met" : "missed");
  }
}

} // namespace

int main(int argc, char** argv) {
#ifndef NDEBUG
  std::fprintf(stderr, "checkpoint_bench: built without NDEBUG; figures count only from a "
                       "-DCMAKE_BUILD_TYPE=Release build\n");
#endif
  if (const char* files = std::getenv("CHECKPOINT_BENCH_FILES"))
    files_per_item = std::max<size_t>(1, std::strtoul(files, nullptr, 10));
  benchmark::AddCustomContext("files_per_item", std::to_string(files_per_item));
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  return 0;
}
