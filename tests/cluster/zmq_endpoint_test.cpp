#include "cluster/zmq_endpoint.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "actors/node_actor.hpp"
#include "cluster/inbound_dispatcher.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/envelope_codec.hpp"
#include "tests/testing/zmq_client.hpp"

namespace drover::cluster {
namespace {

using namespace std::chrono_literals;

/// A node's transport in one process: endpoint, dispatcher and a node actor named "node".
class ZmqEndpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    runtime::decode_limits limits;
    limits.max_bytes = 64 * 1024;
    endpoint_ = std::make_unique<zmq_endpoint>(context_, metrics_, limits);
    auto bound = endpoint_->bind({"127.0.0.1", 0});
    ASSERT_TRUE(bound);
    address_ = *bound;
    auto node = caf::actor_cast<caf::actor>(system_.spawn(
      actors::node_actor_behavior, runtime::node_identity{"n1", 1, 0, 0}, runtime::node_hello{}));
    dispatcher_ = system_.spawn(inbound_dispatcher,
                                dispatcher_context{endpoint_.get(), &metrics_, {{"node", node}}, "n1"});
    endpoint_->start([dispatcher = dispatcher_](std::string peer, runtime::envelope message) {
      caf::anon_send(dispatcher, inbound_frame{std::move(peer), std::move(message)});
    });
  }

  void TearDown() override {
    endpoint_->stop();
    caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown);
  }

  std::string metric_line(const std::string& prefix) const {
    const auto text = metrics_.render_text();
    const auto at = text.find("\n" + prefix);
    return at == std::string::npos ? "" : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  }

  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  zmq::context_t context_{1};
  observability::prometheus_metrics metrics_;
  std::unique_ptr<zmq_endpoint> endpoint_;
  caf::actor dispatcher_;
  std::string address_;
};

TEST_F(ZmqEndpointTest, BindsAFreePort) {
  EXPECT_EQ(address_.rfind("tcp://127.0.0.1:", 0), 0U) << address_;
  EXPECT_NE(address_, "tcp://127.0.0.1:0");
}

TEST_F(ZmqEndpointTest, PingGetsPongWithCorrelationId) {
  testing::zmq_client client{address_};
  client.send(runtime::envelope{{"t", "me"}, {"n1", "node"}, 17, 0, 0, runtime::ping{5}});
  auto reply = client.receive(5s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->correlation_id, 17U);
  EXPECT_EQ(reply->sender.name, "node");
  EXPECT_EQ(reply->receiver.name, "me");
  ASSERT_TRUE(std::holds_alternative<runtime::pong>(reply->message));
  EXPECT_EQ(std::get<runtime::pong>(reply->message).nonce, 5U);
  EXPECT_EQ(std::get<runtime::pong>(reply->message).node_id, "n1");
}

TEST_F(ZmqEndpointTest, MalformedFramesAreCountedAndDropped) {
  testing::zmq_client client{address_};
  client.send_raw({"this is not an envelope"});
  client.send_raw({"two", "parts"});
  auto bytes = runtime::encode(runtime::envelope{{}, {"", "node"}, 1, 0, 0, runtime::ping{1}});
  client.send_raw({std::string(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2))});
  EXPECT_FALSE(client.receive(300ms)) << "a malformed frame got an answer";
  ASSERT_TRUE(client.ping("node", 9)) << "the endpoint stopped answering after bad frames";
  EXPECT_EQ(metric_line("drover_transport_frames_rejected_total{reason=\"malformed\"}"),
            "drover_transport_frames_rejected_total{reason=\"malformed\"} 2");
  EXPECT_EQ(metric_line("drover_transport_frames_rejected_total{reason=\"framing\"}"),
            "drover_transport_frames_rejected_total{reason=\"framing\"} 1");
}

TEST_F(ZmqEndpointTest, OversizedFrameIsRefusedAndNodeKeepsServing) {
  testing::zmq_client flooder{address_};
  flooder.send_raw({std::string(256 * 1024, 'x')});
  EXPECT_FALSE(flooder.receive(300ms));
  testing::zmq_client client{address_};
  EXPECT_TRUE(client.ping("node", 1));
}

TEST_F(ZmqEndpointTest, UnknownActorAndExpiredDeadlineAreUndeliverable) {
  testing::zmq_client client{address_};
  client.send(runtime::envelope{{}, {"n1", "nobody"}, 1, 0, 0, runtime::ping{1}});
  client.send(runtime::envelope{{}, {"n1", "node"}, 2, 0, 1, runtime::ping{1}});
  EXPECT_FALSE(client.receive(300ms));
  EXPECT_EQ(metric_line("drover_transport_undeliverable_total"),
            "drover_transport_undeliverable_total 2");
}

TEST_F(ZmqEndpointTest, ManyPeersAreAnsweredIndependently) {
  std::vector<std::unique_ptr<testing::zmq_client>> clients;
  for (int i = 0; i < 8; ++i)
    clients.push_back(std::make_unique<testing::zmq_client>(address_));
  for (size_t i = 0; i < clients.size(); ++i) {
    auto pong = clients[i]->ping("node", i);
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->nonce, i);
  }
}

} // namespace
} // namespace drover::cluster
