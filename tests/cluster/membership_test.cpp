// The membership actor against a fake transport: the test plays the other nodes, answering or
// not answering what the membership sends, and checks the states it declares and when.

#include "cluster/membership.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "cluster/inbound_dispatcher.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/cluster_messages.hpp"
#include "tests/testing/fake_transport.hpp"

namespace drover::cluster {
namespace {

using namespace std::chrono_literals;
using runtime::member_state;
using testing::fake_transport;

const std::string seed = "tcp://127.0.0.1:9001";
const std::string other = "tcp://127.0.0.1:9002";

class MembershipTest : public ::testing::Test {
protected:
  void SetUp() override {
    dispatcher_ = system_.spawn(inbound_dispatcher, dispatcher_context{&transport_, &metrics_, "self"});
    membership_setup setup;
    setup.node_id = "self";
    setup.endpoint = "tcp://127.0.0.1:9000";
    setup.boot_count = 1;
    setup.seeds = {seed};
    setup.heartbeat_interval = 20ms;
    setup.suspicion_timeout = 400ms;
    setup.out = &transport_;
    setup.metrics = &metrics_;
    setup.dispatcher = dispatcher_;
    setup.items_in_flight = [] { return 3U; };
    membership_ = system_.spawn(membership, std::move(setup));
  }

  void TearDown() override {
    caf::anon_send_exit(membership_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown);
  }

  /// Answers the membership's join request to the seed with a list holding the seed and `more`.
  void answer_join(std::vector<runtime::member_info> more = {}) {
    auto join = transport_.take_kind<runtime::join_request>(seed);
    ASSERT_TRUE(join) << "no join request reached the seed";
    EXPECT_EQ(std::get<runtime::join_request>(join->message.message).joiner.node_id, "self");
    runtime::member_list list{{{"seed-node", seed, 1, member_state::alive, 0, 0}}};
    list.members.insert(list.members.end(), more.begin(), more.end());
    reply_to(*join, list, "seed-node");
  }

  /// Sends the membership the reply `body` to `request`, as node `from`.
  void reply_to(const fake_transport::sent& request, runtime::wire_message body, const std::string& from) {
    runtime::envelope answer{{from, "membership"}, request.message.sender, 1, request.message.message_id, 0,
                             std::move(body)};
    caf::anon_send(membership_, inbound_reply{std::move(answer)});
  }

  /// Answers every ping to `endpoint` for `duration` as node `node_id` with `boot_count`.
  void answer_pings(const std::string& endpoint, const std::string& node_id, uint64_t boot_count,
                    std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until)
      if (auto ping = transport_.take_kind<runtime::ping>(endpoint, 50ms))
        reply_to(*ping, runtime::pong{std::get<runtime::ping>(ping->message.message).nonce, node_id, boot_count, 0},
                 node_id);
  }

  std::optional<runtime::member_info> member(const std::string& node_id) {
    caf::scoped_actor self{system_};
    std::optional<runtime::member_info> found;
    self->request(membership_, 5s, runtime::members_atom::value)
      .receive(
        [&](const std::vector<runtime::member_info>& members) {
          for (const auto& candidate : members)
            if (candidate.node_id == node_id)
              found = candidate;
        },
        [](const caf::error&) {});
    return found;
  }

  /// Waits until `node_id` is in `state`; returns how long that took, or nothing.
  std::optional<std::chrono::milliseconds> wait_state(const std::string& node_id, member_state state,
                                                      std::chrono::milliseconds timeout = 3s) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < timeout) {
      auto found = member(node_id);
      if (found && found->state == state)
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  // Before the actor system, which outlives them: its actors use both until it is gone.
  observability::prometheus_metrics metrics_;
  fake_transport transport_;
  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  caf::actor dispatcher_;
  caf::actor membership_;
};

TEST_F(MembershipTest, JoinsThroughASeedAndLearnsItsMembers) {
  answer_join({{"third", other, 2, member_state::alive, 0, 0}});
  ASSERT_TRUE(wait_state("seed-node", member_state::alive));
  ASSERT_TRUE(wait_state("third", member_state::alive));
  auto self = member("self");
  ASSERT_TRUE(self);
  EXPECT_EQ(self->items_in_flight, 3U);
  // Once joined, the seed is pinged, not asked to admit the node again.
  EXPECT_TRUE(transport_.take_kind<runtime::ping>(seed));
}

TEST_F(MembershipTest, AnsweringMemberStaysAliveAndSilentOneIsSuspectedThenDead) {
  answer_join({{"third", other, 2, member_state::alive, 0, 0}});
  ASSERT_TRUE(wait_state("third", member_state::alive));
  // The seed answers every ping; "third" never does.
  std::thread answering{[&] { answer_pings(seed, "seed-node", 1, 900ms); }};
  EXPECT_TRUE(wait_state("third", member_state::suspect, 1s));
  auto dead_after = wait_state("third", member_state::dead, 1s);
  answering.join();
  ASSERT_TRUE(dead_after);
  EXPECT_EQ(member("seed-node")->state, member_state::alive);
}

TEST_F(MembershipTest, DroppedConnectionIsDeadAtOnceAndARestartedNodeIsAliveAgain) {
  answer_join();
  ASSERT_TRUE(wait_state("seed-node", member_state::alive));
  caf::anon_send(membership_, connection_event{seed, peer_event::disconnected});
  auto dead_after = wait_state("seed-node", member_state::dead, 200ms);
  ASSERT_TRUE(dead_after) << "a dropped connection must declare the member dead at once";
  answer_pings(seed, "seed-node", 2, 100ms);
  ASSERT_TRUE(wait_state("seed-node", member_state::alive));
  EXPECT_EQ(member("seed-node")->boot_count, 2U);
}

TEST_F(MembershipTest, SubscribersHearOfEveryChange) {
  caf::scoped_actor subscriber{system_};
  subscriber->send(membership_, runtime::subscribe_atom::value);
  answer_join();
  bool joined = false;
  subscriber->receive([&](const runtime::member_info& info) { joined = info.node_id == "seed-node"; },
                      caf::after(3s) >> [] {});
  EXPECT_TRUE(joined);
  caf::anon_send(membership_, connection_event{seed, peer_event::disconnected});
  bool dead = false;
  subscriber->receive([&](const runtime::member_info& info) { dead = info.state == member_state::dead; },
                      caf::after(3s) >> [] {});
  EXPECT_TRUE(dead);
}

TEST_F(MembershipTest, AnswersPingsAndJoinsOfOtherNodes) {
  caf::scoped_actor self{system_};
  self->request(membership_, 5s, runtime::ping{7})
    .receive([](const runtime::pong& answer) { EXPECT_EQ(answer.nonce, 7U); EXPECT_EQ(answer.node_id, "self"); },
             [](const caf::error& error) { FAIL() << caf::to_string(error); });
  self->request(membership_, 5s, runtime::join_request{{"newcomer", other, 1, member_state::alive, 0, 0}})
    .receive(
      [](const runtime::member_list& list) {
        ASSERT_FALSE(list.members.empty());
        EXPECT_EQ(list.members.front().node_id, "self");
      },
      [](const caf::error& error) { FAIL() << caf::to_string(error); });
  EXPECT_TRUE(wait_state("newcomer", member_state::alive));
}

} // namespace
} // namespace drover::cluster
