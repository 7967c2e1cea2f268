#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <caf/error.hpp>

#include "observability/metrics.hpp"
#include "runtime/store.hpp"

namespace drover::runtime {

/// The store writer: applies batches on one dedicated thread so that no actor waits for a
/// write, and with `power` durability syncs the WAL once for every batch queued while the
/// previous sync ran (group commit: many results share one fsync, never one per item).
/// Thread-safe: `mutex_` guards `queue_` and `stopping_`; callbacks run on the writer thread,
/// in submission order, and must not block.
class checkpoint_writer {
public:
  /// Called once a batch is durable at the writer's level, or failed.
  using done_callback = std::function<void(const caf::error&)>;

  /// Borrows `db` and `metrics`, which must outlive the writer.
  checkpoint_writer(store& db, durability level, observability::metrics& metrics);
  /// Writes everything still queued, then stops the thread.
  ~checkpoint_writer();
  checkpoint_writer(const checkpoint_writer&) = delete;
  checkpoint_writer& operator=(const checkpoint_writer&) = delete;

  /// Queues `batch`; `done` is called when it is durable.
  void submit(store_batch batch, done_callback done);

  /// Returns the durability level of this writer.
  durability level() const { return level_; }

private:
  void run();

  store& db_;
  durability level_;
  observability::histogram& write_seconds_;
  observability::histogram& group_size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<store_batch, done_callback>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace drover::runtime
