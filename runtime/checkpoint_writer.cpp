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
  {
    std::lock_guard guard{mutex_};
    queue_.emplace_back(std::move(batch), std::move(done));
  }
  wake_.notify_one();
}

void checkpoint_writer::run() {
  std::deque<std::pair<store_batch, done_callback>> group;
  for (;;) {
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and everything queued was written
      group.swap(queue_);
    }
    const auto started = std::chrono::steady_clock::now();
    // Each batch is atomic on its own; only the sync is shared by the group.
    std::vector<caf::error> errors;
    errors.reserve(group.size());
    for (auto& [batch, done] : group)
      errors.push_back(db_.write(batch, durability::process));
    caf::error sync_error;
    if (level_ == durability::power)
      sync_error = db_.sync_wal();
    write_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    group_size_.observe(static_cast<double>(group.size()));
    for (size_t i = 0; i < group.size(); ++i)
      group[i].second(errors[i] ? errors[i] : sync_error);
    group.clear();
  }
}

} // namespace drover::runtime
