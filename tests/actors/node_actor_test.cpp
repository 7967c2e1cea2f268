#include "actors/node_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

namespace drover::actors {
namespace {

class NodeActorTest : public ::testing::Test {
protected:
  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  runtime::node_identity identity_{"abcdef0123456789", 4, 1, 2};
  node_actor node_ = system_.spawn(node_actor_behavior, identity_,
                                   runtime::node_hello{identity_.node_id, "tcp://127.0.0.1:9", "0.1.0"});
};

TEST_F(NodeActorTest, AnswersPingWithItsIdentity) {
  caf::scoped_actor self{system_};
  runtime::pong answer;
  self->request(node_, std::chrono::seconds{5}, runtime::ping{77})
    .receive([&](const runtime::pong& reply) { answer = reply; },
             [&](const caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_EQ(answer.nonce, 77U);
  EXPECT_EQ(answer.node_id, "abcdef0123456789");
  EXPECT_EQ(answer.boot_count, 4U);
}

TEST_F(NodeActorTest, AnswersHelloWithItsOwn) {
  caf::scoped_actor self{system_};
  runtime::node_hello answer;
  self->request(node_, std::chrono::seconds{5}, runtime::node_hello{"peer", "tcp://x:1", "0.1.0"})
    .receive([&](const runtime::node_hello& reply) { answer = reply; },
             [&](const caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_EQ(answer.node_id, "abcdef0123456789");
  EXPECT_EQ(answer.endpoint, "tcp://127.0.0.1:9");
}

} // namespace
} // namespace drover::actors
