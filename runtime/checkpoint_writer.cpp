#include "runtime/checkpoint_writer.hpp"

#include <chrono>

namespace drover::runtime {

checkpoint_writer::checkpoint_writer(store& db, durability level, observability::metrics& metrics)
  : db_(db),
    level_(level),
    write_seconds_(metrics.make_histogram(
      "drover_checkpoint_write_seconds",
      "Time to make one group of checkpoint batches durable (write and, for power durability, sync).",
      observability::exponential_buckets(0.0001, 2, 16))),
    group_size_(metrics.make_histogram("drover_checkpoint_group_size",
                                       "Checkpoint batches made durable together.",
                                       observability::exponential_buckets(1, 2, 12))),
    thread_([this] { run(); }) {}

checkpoint_writer::~checkpoint_writer() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void checkpoint_writer::submit(store_batch batch, done_callback done) {
  bool wake = false;
  {
    std::lock_guard guard{mutex_};
    queue_.push_back(submission{std::move(batch), std::move(done)});
    // While the writer is busy it takes the whole queue when it comes back: a notify per
    // submission would only cost a futex call each.
    wake = idle_;
    idle_ = false;
  }
  if (wake)
    wake_.notify_one();
}

void checkpoint_writer::run() {
  // Both vectors keep their capacity across groups: no allocation per submission here.
  std::vector<submission> group;
  std::vector<const store_batch*> batches;
  for (;;) {
    {
      std::unique_lock lock{mutex_};
      while (queue_.empty() && !stopping_) {
        idle_ = true;
        wake_.wait(lock);
      }
      idle_ = false;
      if (queue_.empty())
        return; // stopping, and everything queued was written
      group.swap(queue_);
    }
    const auto started = std::chrono::steady_clock::now();
    batches.clear();
    for (const auto& queued : group)
      batches.push_back(&queued.batch);
    // One write for the whole group. With power durability the write itself syncs the WAL:
    // no slower than a store::sync_wal() after it (measured), and readers see the group only
    // once it is durable.
    const auto error = db_.write(batches, level_);
    write_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    group_size_.observe(static_cast<double>(group.size()));
    for (auto& queued : group)
      queued.done(error);
    group.clear();
  }
}

} // namespace drover::runtime
