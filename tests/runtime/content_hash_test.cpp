#include "runtime/content_hash.hpp"

#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/testing/temp_dir.hpp"

namespace drover::runtime {
namespace {

TEST(ContentHashTest, IsXxh3AsSixteenHexDigits) {
  EXPECT_EQ(content_hash(""), "2d06800538d394c2"); // XXH3_64bits of no bytes, seed 0
  const auto hash = content_hash("int main() {}\n");
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  for (int i = 0; i < 256; ++i) // about one in 16 hashes starts with a zero digit
    EXPECT_EQ(content_hash(std::to_string(i)).size(), 16u) << i;
  EXPECT_NE(hash, content_hash("int main() {} \n"));
  EXPECT_EQ(content_hash(std::string{"a\0b", 3}).size(), 16u);
  EXPECT_NE(content_hash(std::string{"a\0b", 3}), content_hash("a"));
}

TEST(ContentHashTest, HashesFilesLikeTheirBytes) {
  drover::testing::temp_dir dir;
  std::string big;
  for (int i = 0; i < 50000; ++i) // crosses several read chunks
    big += std::to_string(i) + '\0';
  drover::testing::write_file(dir / "big.bin", big);
  drover::testing::write_file(dir / "empty", "");
  auto hashed = hash_file(dir / "big.bin");
  ASSERT_TRUE(hashed) << describe(hashed.error());
  EXPECT_EQ(*hashed, content_hash(big));
  auto empty = hash_file(dir / "empty");
  ASSERT_TRUE(empty) << describe(empty.error());
  EXPECT_EQ(*empty, content_hash(""));
}

TEST(ContentHashTest, TellsMissingFilesFromUnreadableOnes) {
  drover::testing::temp_dir dir;
  auto missing = hash_file(dir / "missing");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(is(missing.error(), runtime_errc::not_found)) << describe(missing.error());
  EXPECT_NE(describe(missing.error()).find(dir / "missing"), std::string::npos);
  auto directory = hash_file(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_TRUE(is(directory.error(), runtime_errc::io_error)) << describe(directory.error());
}

} // namespace
} // namespace drover::runtime
