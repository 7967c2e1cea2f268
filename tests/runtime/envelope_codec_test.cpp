#include "runtime/envelope_codec.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace drover::runtime {
namespace {

envelope sample_envelope() {
  return envelope{{"node-a", "coordinator"}, {"node-b", "node"}, 42, 7, 1'700'000'000'000,
                  pong{99, "b1c2", 3}};
}

TEST(EnvelopeCodecTest, RoundTripsEveryMessageKind) {
  for (const wire_message& body :
       {wire_message{ping{5}}, wire_message{pong{6, "id", 2}},
        wire_message{node_hello{"id", "tcp://127.0.0.1:1", "0.1.0"}}}) {
    auto original = sample_envelope();
    original.message = body;
    const auto bytes = encode(original);
    auto decoded = decode(bytes.data(), bytes.size());
    ASSERT_TRUE(decoded) << describe(decoded.error());
    EXPECT_EQ(decoded->sender.node, "node-a");
    EXPECT_EQ(decoded->sender.name, "coordinator");
    EXPECT_EQ(decoded->receiver.node, "node-b");
    EXPECT_EQ(decoded->receiver.name, "node");
    EXPECT_EQ(decoded->message_id, 42U);
    EXPECT_EQ(decoded->correlation_id, 7U);
    EXPECT_EQ(decoded->deadline_unix_ms, 1'700'000'000'000);
    EXPECT_EQ(decoded->message.index(), body.index());
  }
}

TEST(EnvelopeCodecTest, KeepsMessageFields) {
  const auto bytes = encode(sample_envelope());
  auto decoded = decode(bytes.data(), bytes.size());
  ASSERT_TRUE(decoded);
  const auto& body = std::get<pong>(decoded->message);
  EXPECT_EQ(body.nonce, 99U);
  EXPECT_EQ(body.node_id, "b1c2");
  EXPECT_EQ(body.boot_count, 3U);
}

TEST(EnvelopeCodecTest, DecodesAMisalignedBuffer) {
  // A ZeroMQ frame or a RocksDB value may start at any address.
  const auto bytes = encode(sample_envelope());
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 3);
  auto decoded = decode(shifted.data() + 3, bytes.size());
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(std::get<pong>(decoded->message).node_id, "b1c2");
}

TEST(EnvelopeCodecTest, RejectsTruncationsThatCutIntoTheContent) {
  // Trailing alignment padding may be cut without loss; anything accepted must be intact.
  const auto bytes = encode(sample_envelope());
  size_t rejected = 0;
  for (size_t size = 0; size < bytes.size(); ++size) {
    auto decoded = decode(bytes.data(), size);
    if (!decoded) {
      EXPECT_TRUE(is(decoded.error(), runtime_errc::invalid_buffer));
      ++rejected;
      continue;
    }
    EXPECT_GE(size, bytes.size() - 8) << "a buffer truncated to " << size << " bytes was accepted";
    EXPECT_EQ(std::get<pong>(decoded->message).node_id, "b1c2");
  }
  EXPECT_GE(rejected, bytes.size() - 8);
}

TEST(EnvelopeCodecTest, SurvivesEveryBitFlip) {
  // A flipped bit may still verify (it can land in a scalar), but it must never crash, and a
  // flip in the identifier or the offsets must be caught.
  const auto bytes = encode(sample_envelope());
  size_t rejected = 0;
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    auto copy = bytes;
    copy[bit / 8] ^= static_cast<uint8_t>(1U << (bit % 8));
    if (!decode(copy.data(), copy.size()))
      ++rejected;
  }
  EXPECT_GT(rejected, bytes.size()); // a fair share of the flips is caught
}

TEST(EnvelopeCodecTest, RejectsOversizedBuffersUnread) {
  const auto bytes = encode(sample_envelope());
  decode_limits limits;
  limits.max_bytes = bytes.size() - 1;
  auto decoded = decode(bytes.data(), bytes.size(), limits);
  ASSERT_FALSE(decoded);
  EXPECT_NE(describe(decoded.error()).find("exceeds the limit"), std::string::npos);
}

TEST(EnvelopeCodecTest, RejectsForeignBytes) {
  const std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto decoded = decode(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  ASSERT_FALSE(decoded);
  EXPECT_NE(describe(decoded.error()).find("DRV1"), std::string::npos);
}

TEST(EnvelopeCodecTest, EnforcesTheTableLimit) {
  const auto bytes = encode(sample_envelope());
  decode_limits limits;
  limits.max_tables = 2; // the envelope alone has five tables
  EXPECT_FALSE(decode(bytes.data(), bytes.size(), limits));
}

} // namespace
} // namespace drover::runtime
