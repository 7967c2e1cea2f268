#include "runtime/store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/node_identity.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

using testing::temp_dir;

std::unique_ptr<store> open_or_fail(const std::string& path) {
  auto opened = store::open(path);
  EXPECT_TRUE(opened) << describe(opened.error());
  return opened ? std::move(*opened) : nullptr;
}

TEST(StoreTest, PutGetAndReopen) {
  temp_dir dir;
  {
    auto db = open_or_fail(dir / "store");
    ASSERT_TRUE(db);
    ASSERT_FALSE(db->put(column::jobs, "job-1", "pending"));
    ASSERT_FALSE(db->put(column::items, "job-1", "other column", durability::power));
    auto value = db->get(column::jobs, "job-1");
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, "pending");
    ASSERT_FALSE(db->flush());
  }
  auto db = open_or_fail(dir / "store");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->get(column::jobs, "job-1"), "pending");
  EXPECT_EQ(*db->get(column::items, "job-1"), "other column");
}

TEST(StoreTest, MissingKeyIsNotFoundNotIoError) {
  temp_dir dir;
  auto db = open_or_fail(dir / "store");
  auto value = db->get(column::results, "nope");
  ASSERT_FALSE(value);
  EXPECT_TRUE(is(value.error(), runtime_errc::not_found));
}

TEST(StoreTest, BatchIsAtomicAcrossColumns) {
  temp_dir dir;
  auto db = open_or_fail(dir / "store");
  auto batch = db->batch();
  batch.put(column::items, "j/1", "done");
  batch.put(column::results, "j/1", "hash");
  batch.erase(column::jobs, "j");
  EXPECT_EQ(batch.size(), 3U);
  ASSERT_FALSE(db->put(column::jobs, "j", "running"));
  ASSERT_FALSE(db->write(batch, durability::power));
  EXPECT_EQ(*db->get(column::items, "j/1"), "done");
  EXPECT_EQ(*db->get(column::results, "j/1"), "hash");
  EXPECT_FALSE(db->get(column::jobs, "j"));
}

TEST(StoreTest, ScansAPrefixInKeyOrder) {
  temp_dir dir;
  auto db = open_or_fail(dir / "store");
  for (const auto* key : {"a/2", "b/1", "a/1", "a/3"})
    ASSERT_FALSE(db->put(column::items, key, key));
  std::vector<std::string> seen;
  ASSERT_FALSE(db->scan(column::items, "a/", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return seen.size() < 2;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1", "a/2"}));
}

TEST(StoreTest, ScansAPrefixFromAKey) {
  temp_dir dir;
  auto db = open_or_fail(dir / "store");
  for (const auto* key : {"a/1", "a/2", "a/3", "b/1"})
    ASSERT_FALSE(db->put(column::items, key, key));
  auto scan_from = [&](std::string_view from) {
    std::vector<std::string> seen;
    EXPECT_FALSE(db->scan(column::items, "a/", from, [&](std::string_view key, std::string_view) {
      seen.emplace_back(key);
      return true;
    }));
    return seen;
  };
  EXPECT_EQ(scan_from("a/2"), (std::vector<std::string>{"a/2", "a/3"}));
  EXPECT_EQ(scan_from("a/20"), (std::vector<std::string>{"a/3"}));
  EXPECT_EQ(scan_from(""), (std::vector<std::string>{"a/1", "a/2", "a/3"}));
  EXPECT_TRUE(scan_from("a/4").empty());
  EXPECT_TRUE(scan_from("b/").empty());
}

TEST(StoreTest, WritesSurviveTwoCrashesInARow) {
  temp_dir dir;
  const auto path = dir / "store";
  // A child process opens the store, writes without syncing and ends without closing it: the
  // WAL is all that holds the write. The second child's open replays the first WAL without
  // flushing it, so its crash tests that the replayed write still survives.
  auto write_then_crash = [&](const char* key) {
    const pid_t child = ::fork();
    if (child == 0) {
      auto db = store::open(path);
      ::_exit(db && !(*db)->put(column::jobs, key, "value") ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  ASSERT_TRUE(write_then_crash("first"));
  ASSERT_TRUE(write_then_crash("second"));
  auto db = open_or_fail(path);
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->get(column::jobs, "first"));
  EXPECT_TRUE(db->get(column::jobs, "second"));
}

TEST(StoreTest, SecondOpenIsLocked) {
  temp_dir dir;
  auto first = open_or_fail(dir / "store");
  auto second = store::open(dir / "store");
  ASSERT_FALSE(second);
  EXPECT_TRUE(is(second.error(), runtime_errc::store_locked)) << describe(second.error());
}

TEST(StoreTest, UncreatableDirectoryIsIoError) {
  temp_dir dir;
  testing::write_file(dir / "file", "x");
  auto opened = store::open(dir / "file/store");
  ASSERT_FALSE(opened);
  EXPECT_TRUE(is(opened.error(), runtime_errc::io_error)) << describe(opened.error());
}

TEST(NodeIdentityTest, KeepsTheIdAndCountsBoots) {
  temp_dir dir;
  std::string first_id;
  {
    auto db = open_or_fail(dir / "store");
    auto identity = record_boot(*db);
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->boot_count, 1U);
    EXPECT_EQ(identity->node_id.size(), 16U);
    first_id = identity->node_id;
  }
  auto db = open_or_fail(dir / "store");
  auto identity = record_boot(*db);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->node_id, first_id);
  EXPECT_EQ(identity->boot_count, 2U);
}

TEST(NodeIdentityTest, CorruptRecordIsReported) {
  temp_dir dir;
  auto db = open_or_fail(dir / "store");
  ASSERT_FALSE(db->put(column::meta, "node", "garbage"));
  auto identity = record_boot(*db);
  ASSERT_FALSE(identity);
  EXPECT_TRUE(is(identity.error(), runtime_errc::corruption));
}

} // namespace
} // namespace drover::runtime
