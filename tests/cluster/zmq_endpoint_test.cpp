#include "cluster/zmq_endpoint.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/envelope_codec.hpp"
#include "tests/cluster/recording_endpoint.hpp"
#include "tests/testing/zmq_client.hpp"

namespace drover::cluster {
namespace {

using namespace std::chrono_literals;
using testing::recording_endpoint;

runtime::envelope ping(uint64_t id, uint64_t nonce) {
  return runtime::envelope{{"n1", "sender"}, {"n2", "node"}, id, 0, 0, runtime::ping{nonce}};
}

/// An endpoint that refuses frames over 64 KiB, as a node would, with a raw client next to it.
class ZmqEndpointTest : public ::testing::Test {
protected:
  static runtime::decode_limits small_limits() {
    runtime::decode_limits limits;
    limits.max_bytes = 64 * 1024;
    return limits;
  }

  recording_endpoint node_{std::nullopt, small_limits()};
};

TEST_F(ZmqEndpointTest, BindsAFreePort) {
  EXPECT_EQ(node_.address().rfind("tcp://127.0.0.1:", 0), 0U) << node_.address();
  EXPECT_NE(node_.address(), "tcp://127.0.0.1:0");
}

TEST_F(ZmqEndpointTest, SendToReachesThePeerAndItsReplyComesBackOnTheSameConnection) {
  recording_endpoint sender;
  sender.endpoint().send_to(node_.address(), ping(17, 5));

  ASSERT_EQ(node_.wait_for_arrivals(1, 5s), 1U);
  const auto requests = node_.arrivals();
  EXPECT_FALSE(requests[0].source.peer.empty()) << "a request names the connection to reply on";
  EXPECT_EQ(requests[0].message.message_id, 17U);

  ASSERT_EQ(sender.wait_for_arrivals(1, 5s), 1U);
  const auto replies = sender.arrivals();
  EXPECT_EQ(replies[0].source.peer, "") << "a reply comes back on this node's own connection";
  EXPECT_EQ(replies[0].source.endpoint, node_.address());
  EXPECT_EQ(replies[0].message.correlation_id, 17U);
  ASSERT_TRUE(std::holds_alternative<runtime::pong>(replies[0].message.message));
  EXPECT_EQ(std::get<runtime::pong>(replies[0].message.message).nonce, 5U);
  EXPECT_TRUE(sender.wait_for_event(node_.address(), peer_event::connected, 1s));
  EXPECT_EQ(sender.metric("drover_transport_frames_sent_total{kind=\"ping\"}"), 1);
  EXPECT_EQ(node_.metric("drover_transport_frames_received_total{kind=\"ping\"}"), 1);
  EXPECT_GT(node_.metric("drover_transport_bytes_received_total{kind=\"ping\"}"), 0);
}

TEST_F(ZmqEndpointTest, ManyEnvelopesArriveInOrder) {
  constexpr uint64_t count = 200000;
  // The sender keeps at most this many envelopes in flight, below what the bounded queues
  // toward one peer hold, as a flow-controlled protocol (leases, request/response) does.
  constexpr uint64_t window = 5000;
  recording_endpoint sender;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < count; ++i) {
    if (i % window == 0 && i >= window) {
      ASSERT_GE(node_.wait_for_arrivals(i - window, 10s), i - window);
    }
    sender.endpoint().send_to(node_.address(), runtime::envelope{{}, {}, 0, 0, 0, runtime::ping{i}});
  }
  ASSERT_EQ(node_.wait_for_arrivals(count, 30s), count);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const auto arrived = node_.arrivals();
  for (uint64_t i = 0; i < count; ++i)
    ASSERT_EQ(std::get<runtime::ping>(arrived[i].message.message).nonce, i) << "out of order";
  EXPECT_EQ(sender.metric("drover_transport_sends_dropped_total{reason=\"queue_full\"}"), 0);
  std::printf("%llu envelopes in %.3f s: %.0f per second (endpoint to endpoint, one process)\n",
              static_cast<unsigned long long>(count), took.count(), count / took.count());
}

TEST_F(ZmqEndpointTest, PeerThatStopsShowsAsDisconnectedWithinOneSecond) {
  auto peer = std::make_unique<recording_endpoint>();
  const auto address = peer->address();
  node_.endpoint().send_to(address, ping(1, 1));
  ASSERT_TRUE(node_.wait_for_event(address, peer_event::connected, 5s));
  const auto stopped = std::chrono::steady_clock::now();
  peer.reset();
  ASSERT_TRUE(node_.wait_for_event(address, peer_event::disconnected, 1s));
  std::printf("disconnected after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - stopped)
                                       .count()));
}

TEST_F(ZmqEndpointTest, DisconnectClosesTheConnectionAndTheNextSendConnectsAgain) {
  recording_endpoint peer;
  node_.endpoint().send_to(peer.address(), ping(1, 1));
  ASSERT_EQ(peer.wait_for_arrivals(1, 5s), 1U);
  node_.endpoint().disconnect(peer.address());
  node_.endpoint().send_to(peer.address(), ping(2, 2));
  ASSERT_EQ(peer.wait_for_arrivals(2, 5s), 2U);
  const auto arrived = peer.arrivals();
  EXPECT_NE(arrived[0].source.peer, arrived[1].source.peer) << "the second came on a new connection";
  EXPECT_EQ(node_.wait_for_metric("drover_transport_outbound_connections{state=\"connected\"}", 1, 1s), 1);
  EXPECT_EQ(node_.metric("drover_transport_outbound_connections{state=\"connecting\"}"), 0);
}

TEST_F(ZmqEndpointTest, ReplyToAPeerThatIsGoneIsCountedAsDropped) {
  std::string peer;
  {
    testing::zmq_client client{node_.address()};
    client.send(ping(1, 1));
    ASSERT_EQ(node_.wait_for_arrivals(1, 5s), 1U);
    peer = node_.arrivals()[0].source.peer;
  }
  // The ROUTER forgets the routing id once it has seen the connection close.
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       node_.metric("drover_transport_sends_dropped_total{reason=\"peer_gone\"}") < 1
       && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(50ms))
    node_.endpoint().reply(peer, ping(2, 2));
  EXPECT_GE(node_.metric("drover_transport_sends_dropped_total{reason=\"peer_gone\"}"), 1);
}

TEST_F(ZmqEndpointTest, MalformedFramesAreCountedAndNotDelivered) {
  testing::zmq_client client{node_.address()};
  client.send_raw({"this is not an envelope"});
  client.send_raw({"two", "parts"});
  auto bytes = runtime::encode(ping(1, 1));
  client.send_raw({std::string(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2))});
  bytes[3] = 0x7f; // the root table's offset, now far past the end
  client.send_raw({std::string(bytes.begin(), bytes.end())});
  client.send(ping(2, 2)); // a good one behind the bad ones, on the same connection
  ASSERT_EQ(node_.wait_for_arrivals(1, 5s), 1U);
  std::this_thread::sleep_for(100ms);
  const auto arrived = node_.arrivals();
  ASSERT_EQ(arrived.size(), 1U);
  EXPECT_EQ(arrived[0].message.message_id, 2U);
  EXPECT_EQ(node_.metric("drover_transport_frames_rejected_total{reason=\"malformed\"}"), 3);
  EXPECT_EQ(node_.metric("drover_transport_frames_rejected_total{reason=\"framing\"}"), 1);
}

TEST_F(ZmqEndpointTest, OversizedFramesAreRefusedAndTheEndpointKeepsServing) {
  {
    testing::zmq_client flooder{node_.address()};
    flooder.send_raw({std::string(100 * 1024, 'x')});  // over the limit: read and counted
    flooder.send_raw({std::string(1024 * 1024, 'x')}); // over twice the limit: connection dropped
    EXPECT_EQ(node_.wait_for_metric("drover_transport_frames_rejected_total{reason=\"oversized\"}",
                                    1, 5s),
              1);
  }
  testing::zmq_client client{node_.address()};
  EXPECT_TRUE(client.ping("node", 1));
  EXPECT_EQ(node_.arrivals().size(), 1U);
}

TEST_F(ZmqEndpointTest, EnvelopesForAPeerThatNeverAnswersAreBoundedAndCounted) {
  // A port that nobody listens on: the DEALER keeps trying to connect while envelopes pile up.
  std::string unreachable;
  {
    recording_endpoint gone;
    unreachable = gone.address();
  }
  constexpr int sent = 30000;
  for (int i = 0; i < sent; ++i)
    node_.endpoint().send_to(unreachable, ping(i, i));
  // ZeroMQ holds its high-water mark (1,000 here, a little more with its batching) and the
  // connection's queue 10,000: the rest is dropped and counted, not kept.
  const auto dropped =
    node_.wait_for_metric("drover_transport_sends_dropped_total{reason=\"queue_full\"}",
                          sent - 12000, 5s);
  EXPECT_GE(dropped, sent - 12000);
  EXPECT_LE(dropped, sent - 10000);
  EXPECT_EQ(node_.metric("drover_transport_outbound_connections{state=\"connecting\"}"), 1);
}

} // namespace
} // namespace drover::cluster
