#include "runtime/checkpoint_writer.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "observability/prometheus_metrics.hpp"
#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

using testing::temp_dir;

/// A one-shot gate: wait() blocks until open() was called.
class gate {
public:
  void open() {
    {
      std::lock_guard guard{mutex_};
      open_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [this] { return open_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

/// What the callbacks saw, in the order they ran.
struct acknowledgements {
  std::mutex mutex;
  std::vector<std::pair<int, caf::error>> calls;

  checkpoint_writer::done_callback record(int id) {
    return [this, id](const caf::error& error) {
      std::lock_guard guard{mutex};
      calls.emplace_back(id, error);
    };
  }
};

/// Returns the value of the sample line `name` in Prometheus text, or -1.
double sample(const std::string& text, const std::string& name) {
  std::istringstream lines{text};
  std::string line;
  while (std::getline(lines, line))
    if (line.compare(0, name.size() + 1, name + " ") == 0)
      return std::stod(line.substr(name.size() + 1));
  return -1;
}

/// Returns the size of the largest file in `dir` (the write-ahead log or RocksDB's info LOG).
uintmax_t largest_file(const std::string& dir) {
  uintmax_t size = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file())
      size = std::max(size, entry.file_size());
  return size;
}

/// Holds the writer thread inside the callback of a first submission, so that everything
/// submitted meanwhile is queued and becomes the next group. Must outlive the writer.
class writer_hold {
public:
  /// Submits the first batch (meta/first = 1) and returns once the writer is held.
  void hold(store& db, checkpoint_writer& writer) {
    auto batch = db.batch();
    batch.put(column::meta, "first", "1");
    writer.submit(std::move(batch), [this](const caf::error&) {
      holding_.open();
      release_.wait();
    });
    holding_.wait();
  }
  void release() { release_.open(); }

private:
  gate holding_;
  gate release_;
};

class CheckpointWriterTest : public ::testing::TestWithParam<durability> {};

TEST_P(CheckpointWriterTest, QueuedBatchesAreOneGroupAppliedInSubmissionOrder) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "store"));
  observability::prometheus_metrics metrics;
  acknowledgements acks;
  writer_hold held;
  {
    checkpoint_writer writer{*db, GetParam(), metrics};
    held.hold(*db, writer);
    for (int i = 0; i < 20; ++i) {
      // Like the coordinator: each batch writes its item and overwrites the shared job record.
      auto batch = db->batch();
      batch.put(column::items, "job/" + std::to_string(i), "done " + std::to_string(i));
      batch.put(column::jobs, "job", "items done: " + std::to_string(i + 1));
      if (i == 7)
        batch.erase(column::items, "job/3");
      writer.submit(std::move(batch), acks.record(i));
    }
    held.release();
  } // the destructor writes everything queued

  ASSERT_EQ(acks.calls.size(), 20U);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(acks.calls[i].first, i);
    EXPECT_FALSE(acks.calls[i].second) << describe(acks.calls[i].second);
  }
  EXPECT_EQ(*db->get(column::jobs, "job"), "items done: 20"); // the last submission wins
  EXPECT_EQ(*db->get(column::items, "job/19"), "done 19");
  EXPECT_FALSE(db->get(column::items, "job/3")); // erased by a later batch of the same group
  const auto text = metrics.render_text();
  EXPECT_EQ(sample(text, "drover_checkpoint_group_size_count"), 2); // the held one, then 20
  EXPECT_EQ(sample(text, "drover_checkpoint_group_size_sum"), 21);
}

TEST_P(CheckpointWriterTest, AFailedGroupWriteFailsEveryCallbackAndAppliesNothing) {
  temp_dir dir;
  auto db = std::move(*store::open(dir / "store"));
  observability::prometheus_metrics metrics;
  acknowledgements acks;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* saved_handler = signal(SIGXFSZ, SIG_IGN); // write(2) past the limit fails with EFBIG
  writer_hold held;
  {
    checkpoint_writer writer{*db, GetParam(), metrics};
    held.hold(*db, writer);
    // The first batch is in the WAL now. No file of this process may grow past 256 KiB more
    // than the largest file of the store (RocksDB's info LOG, which must keep working, may be
    // larger than the WAL), so the group's 2 MiB WAL record fails as on a full disk.
    rlimit limit = saved;
    limit.rlim_cur = largest_file(dir / "store") + 256 * 1024;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    for (int i = 0; i < 3; ++i) {
      // The first batch would fit on its own: the group fails as a whole all the same.
      auto batch = db->batch();
      batch.put(column::items, "job/" + std::to_string(i),
                std::string(i == 0 ? 100 : 1024 * 1024, 'x'));
      batch.put(column::jobs, "job", "items done: " + std::to_string(i + 1));
      writer.submit(std::move(batch), acks.record(i));
    }
    held.release();
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, saved_handler);

  ASSERT_EQ(acks.calls.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(acks.calls[i].first, i);
    EXPECT_TRUE(is(acks.calls[i].second, runtime_errc::io_error)) << describe(acks.calls[i].second);
  }
  EXPECT_EQ(*db->get(column::meta, "first"), "1");
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(db->get(column::items, "job/" + std::to_string(i)));
  EXPECT_FALSE(db->get(column::jobs, "job"));
}

INSTANTIATE_TEST_SUITE_P(Durability, CheckpointWriterTest,
                         ::testing::Values(durability::process, durability::power),
                         [](const auto& info) {
                           return info.param == durability::power ? std::string{"Power"}
                                                                  : std::string{"Process"};
                         });

} // namespace
} // namespace drover::runtime
