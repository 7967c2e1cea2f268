#include "runtime/detail/string_numbers.hpp"

#include <string>

#include <gtest/gtest.h>

namespace drover::runtime::detail {
namespace {

TEST(StringNumbersTest, NumbersInFirstSeenOrderAndFindsThemAgainAcrossGrowth) {
  string_numbers numbers;
  EXPECT_FALSE(numbers.find("anything"));
  EXPECT_EQ(numbers.number("format"), 0U);
  EXPECT_EQ(numbers.number("lint"), 1U);
  EXPECT_EQ(numbers.number("format"), 0U) << "a string seen before keeps its number";
  EXPECT_EQ(numbers.number(""), 2U) << "the empty string is a string like any other";
  for (uint32_t i = 3; i < 10'000; ++i) // grows the table many times over
    ASSERT_EQ(numbers.number("w" + std::to_string(i)), i);
  EXPECT_EQ(numbers.size(), 10'000U);
  EXPECT_EQ(numbers.find("lint"), 1U);
  EXPECT_EQ(numbers.find(""), 2U);
  EXPECT_EQ(numbers.find("w9999"), 9'999U);
  EXPECT_FALSE(numbers.find("w10000"));
  EXPECT_EQ(numbers.text(1), "lint");
  EXPECT_EQ(numbers.text(9'999), "w9999");
}

} // namespace
} // namespace drover::runtime::detail
