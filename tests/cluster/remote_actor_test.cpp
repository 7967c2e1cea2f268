// A proxy standing for an actor on another node, against a fake transport: requests become
// envelopes, replies come back to the requester, and a request that gets no reply fails.

#include "cluster/remote_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "cluster/inbound_dispatcher.hpp"
#include "observability/prometheus_metrics.hpp"
#include "runtime/cluster_messages.hpp"
#include "runtime/error.hpp"
#include "tests/testing/fake_transport.hpp"

namespace drover::cluster {
namespace {

using namespace std::chrono_literals;
using testing::fake_transport;

const std::string far_endpoint = "tcp://127.0.0.1:9100";

class RemoteActorTest : public ::testing::Test {
protected:
  void SetUp() override {
    dispatcher_context context{&transport_, &metrics_, "near"};
    context.request_timeout = 300ms;
    dispatcher_ = system_.spawn(inbound_dispatcher, context);
    caf::scoped_actor self{system_};
    self->request(dispatcher_, 5s, runtime::remote_atom::value, std::string{"far"}, far_endpoint,
                  std::string{"jobs"})
      .receive([&](const caf::actor& proxy) { proxy_ = proxy; },
               [](const caf::error& error) { FAIL() << caf::to_string(error); });
  }

  void TearDown() override { caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown); }

  /// Plays the far node: answers the next request that reached it with `body`, through the
  /// dispatcher as the transport would deliver the reply.
  void answer_next(runtime::wire_message body) {
    auto request = transport_.take([](const auto& sent) { return sent.endpoint == far_endpoint; });
    ASSERT_TRUE(request);
    EXPECT_EQ(request->message.receiver.node, "far");
    EXPECT_EQ(request->message.receiver.name, "jobs");
    EXPECT_NE(request->message.message_id, 0U);
    runtime::envelope reply{request->message.receiver, request->message.sender, 99,
                            request->message.message_id, 0, std::move(body)};
    caf::anon_send(dispatcher_, inbound_batch{{inbound_frame{{"", far_endpoint}, std::move(reply)}}});
  }

  // Before the actor system, which outlives them: its actors use both until it is gone.
  observability::prometheus_metrics metrics_;
  fake_transport transport_;
  caf::actor_system_config config_;
  caf::actor_system system_{config_};
  caf::actor dispatcher_;
  caf::actor proxy_;
};

TEST_F(RemoteActorTest, RequestsCrossTheWireAndRepliesComeBack) {
  caf::scoped_actor self{system_};
  std::thread far{[&] { answer_next(runtime::report_ack{true}); }};
  bool accepted = false;
  self->request(proxy_, 5s, runtime::item_report{"job", "near#1", 3, {}, {}})
    .receive([&](const runtime::report_ack& ack) { accepted = ack.accepted; },
             [](const caf::error& error) { FAIL() << caf::to_string(error); });
  far.join();
  EXPECT_TRUE(accepted);
}

TEST_F(RemoteActorTest, OneWayMessagesExpectNoReply) {
  caf::anon_send(proxy_, runtime::job_withdrawn{"job", true});
  auto sent = transport_.take([](const auto& candidate) { return candidate.endpoint == far_endpoint; });
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->message.message_id, 0U);
  EXPECT_TRUE(std::holds_alternative<runtime::job_withdrawn>(sent->message.message));
}

TEST_F(RemoteActorTest, UnansweredRequestTimesOut) {
  caf::scoped_actor self{system_};
  caf::error failure;
  self->request(proxy_, 5s, runtime::lease_request{"job", "near#1"})
    .receive([](const runtime::lease_grant&) { FAIL() << "no reply was sent"; },
             [&](const caf::error& error) { failure = error; });
  EXPECT_EQ(failure, caf::sec::request_timeout);
}

TEST_F(RemoteActorTest, DeadNodeFailsPendingRequestsAtOnce) {
  caf::scoped_actor self{system_};
  std::thread far{[&] {
    ASSERT_TRUE(transport_.take([](const auto& sent) { return sent.endpoint == far_endpoint; }));
    caf::anon_send(dispatcher_, node_down_atom::value, std::string{"far"});
  }};
  caf::error failure;
  self->request(proxy_, 5s, runtime::lease_request{"job", "near#1"})
    .receive([](const runtime::lease_grant&) { FAIL() << "no reply was sent"; },
             [&](const caf::error& error) { failure = error; });
  far.join();
  EXPECT_TRUE(runtime::is(failure, runtime::runtime_errc::unavailable)) << runtime::describe(failure);
}

} // namespace
} // namespace drover::cluster
