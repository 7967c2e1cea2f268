#include "actors/detail/lease_table.hpp"

#include <gtest/gtest.h>

namespace drover::actors::detail {
namespace {

using namespace std::chrono_literals;

TEST(LeaseTableTest, AHolderHoldsOneItemUntilItsLeaseEnds) {
  lease_table leases{10s};
  const auto now = lease_table::clock::now();
  leases.grant("n1#1", 4, now);
  EXPECT_TRUE(leases.holds("n1#1", 4));
  EXPECT_FALSE(leases.holds("n1#1", 5));
  EXPECT_FALSE(leases.holds("n1#2", 4));
  leases.grant("n1#1", 5, now); // a new lease replaces the old one
  EXPECT_FALSE(leases.holds("n1#1", 4));
  EXPECT_EQ(leases.end("n1#1"), 5U);
  EXPECT_FALSE(leases.end("n1#1"));
  EXPECT_TRUE(leases.empty());
}

TEST(LeaseTableTest, FindsTheHoldersOfANodeAndNoOtherNodes) {
  lease_table leases{10s};
  const auto now = lease_table::clock::now();
  for (const auto* holder : {"n1#1", "n1#22", "n10#1", "n2#1"})
    leases.grant(holder, 0, now);
  EXPECT_EQ(leases.holders_on("n1"), (std::vector<std::string>{"n1#1", "n1#22"}));
  EXPECT_TRUE(leases.holders_on("n3").empty());
}

TEST(LeaseTableTest, LeasesExpireAfterTheirTimeToLive) {
  lease_table leases{10s};
  const auto start = lease_table::clock::now();
  leases.grant("early#1", 1, start);
  leases.grant("late#1", 2, start + 5s);
  EXPECT_TRUE(leases.expired(start + 9s).empty());
  EXPECT_EQ(leases.expired(start + 10s), (std::vector<std::string>{"early#1"}));
  EXPECT_EQ(leases.expired(start + 15s).size(), 2U);
}

TEST(LeaseTableTest, TimeToLiveCoversEveryAttemptOfEveryTool) {
  runtime::tool_manifest quick;
  quick.timeout = 10s;
  quick.retry.attempts = 3;
  quick.retry.max_backoff = 1s;
  runtime::tool_manifest slow;
  slow.timeout = 100s;
  slow.retry.attempts = 1;
  slow.retry.max_backoff = 0s;
  EXPECT_EQ(lease_table::ttl_for({quick, slow}, 60s), 60s + 3 * 11s + 100s);
}

} // namespace
} // namespace drover::actors::detail
