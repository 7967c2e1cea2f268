#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/error.hpp>

#include "observability/metrics.hpp"
#include "runtime/store.hpp"

namespace drover::runtime {

/// The store writer: applies batches on one dedicated thread so that no actor waits for a
/// write. Every batch queued while the previous group was written forms the next group, which
/// goes to RocksDB as one write (one WAL record, and with `power` durability one fsync): group
/// commit, never one write or fsync per item. Each batch stays atomic; a group is applied
/// whole or not at all, and when its write fails every callback of the group gets the error.
/// Thread-safe: `mutex_` guards `queue_`, `idle_` and `stopping_`; callbacks run on the writer
/// thread, in submission order, and must not block.
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
  struct submission {
    store_batch batch;
    done_callback done;
  };

  void run();

  store& db_;
  durability level_;
  observability::histogram& write_seconds_;
  observability::histogram& group_size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<submission> queue_;
  bool idle_ = false; ///< the writer thread waits on `wake_` for a submission
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace drover::runtime
