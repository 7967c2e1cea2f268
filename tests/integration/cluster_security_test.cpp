// A cluster of two real `drover up` nodes with CurveZMQ keys on 127.0.0.1, and a stranger trying
// to join it through both: one with the keys of another cluster, one whose node key is not on
// the allow-list, one without keys. Each is refused: it never shows among the members, both
// members count and log the refusal, and not one of its frames reaches an actor (a stranger knows
// no member, so all it can send is a join request: the members receive none and log no join).

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/cluster_harness.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/text.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

const std::string auth_rejections = R"(drover_transport_frames_rejected_total{reason="auth"})";
const std::string joins_received = R"(drover_transport_frames_received_total{kind="join_request"})";
const std::string refusal_line = "transport: refused a connection";
const std::string join_line = "asks to join";

/// Returns the number of lines of `log` that contain `text`.
size_t count_lines(const std::string& log, const std::string& text) {
  const auto lines = lines_of(log);
  return static_cast<size_t>(
    std::count_if(lines.begin(), lines.end(),
                  [&](const std::string& line) { return line.find(text) != std::string::npos; }));
}

/// Returns what node `node` logged so far (what it printed and its log, which goes to stderr).
std::string log_of(running_node& node) {
  return node.process().out() + node.process().err();
}

/// What a member showed before a stranger came.
struct member_baseline {
  double auth_rejections = 0;
  double joins_received = 0;
  size_t refusal_lines = 0;
  size_t join_lines = 0;
};

class ClusterSecurityTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "tools"); // no tools: the cluster runs no job
    make_cluster_keys({dir_ / "keys/a", dir_ / "keys/b"});
    cluster_.start("a", {"--keys-dir", dir_ / "keys/a"});
    cluster_.start("b", {"--keys-dir", dir_ / "keys/b"});
    for (const auto* name : {"a", "b"})
      ASSERT_TRUE(cluster_.wait_members(name, 2, "alive", 10s))
        << name << " does not see two members";
  }

  /// Starts the stranger `name` with `key_args`, joining through both members with fast
  /// heartbeats (a join attempt every 400 ms), and expects it refused by both: counted under
  /// `auth_rejected_total` with one of `reasons`, logged, never a member, not one frame delivered.
  void expect_refused(const std::string& name, const std::vector<std::string>& key_args,
                      const std::vector<std::string>& reasons) {
    std::map<std::string, member_baseline> before;
    for (const auto* member : {"a", "b"}) {
      auto& node = cluster_.node(member);
      const auto log = log_of(node);
      before[member] = {node.metric(auth_rejections), node.metric(joins_received),
                        count_lines(log, refusal_line), count_lines(log, join_line)};
    }
    std::vector<std::string> args = key_args;
    for (const auto* member : {"a", "b"})
      args.insert(args.end(), {"--join", cluster_.node(member).listen()});
    args.insert(args.end(), {"--heartbeat-interval-ms", "100", "--suspicion-timeout-ms", "1000"});
    cluster_.start(name, args, false);
    const auto stranger_id = cluster_.node_id(name);

    // ZeroMQ does not reconnect a connection refused during its handshake, so each member refuses
    // the stranger once; its later join attempts go nowhere.
    for (const auto* member : {"a", "b"}) {
      auto& node = cluster_.node(member);
      EXPECT_TRUE(wait_until(
        [&] { return node.metric(auth_rejections) > before[member].auth_rejections; }, 10s))
        << member << " counted no refused connection from " << name;
    }
    // Time for several join attempts (one every 400 ms) to have got through, had any.
    std::this_thread::sleep_for(1500ms);

    for (const auto* member : {"a", "b"}) {
      auto& node = cluster_.node(member);
      double by_reason = 0;
      for (const auto& reason : reasons)
        by_reason +=
          node.metric(R"(drover_transport_auth_rejected_total{reason=")" + reason + "\"}");
      EXPECT_GE(by_reason, 1) << member << " did not count " << name
                              << " under the expected reason";

      const auto log = log_of(node);
      EXPECT_GT(count_lines(log, refusal_line), before[member].refusal_lines)
        << member << " logged no refusal of " << name << ":\n"
        << log;
      EXPECT_EQ(count_lines(log, join_line), before[member].join_lines)
        << member << " logged a join:\n"
        << log;
      EXPECT_EQ(log.find(stranger_id), std::string::npos) << member << " names " << name << ":\n"
                                                          << log;
      EXPECT_EQ(node.metric(joins_received), before[member].joins_received)
        << member << " received a join request from " << name;

      const auto members = node.get("/v1/cluster/members");
      ASSERT_TRUE(members.is_array()) << member << " does not list its members";
      EXPECT_EQ(members.size(), 2U) << members.dump();
      for (const auto& listed : members)
        EXPECT_NE(listed.value("node_id", ""), stranger_id)
          << member << " lists " << name << ": " << members.dump();
    }
    EXPECT_EQ(cluster_.members_in(name, "alive").size(), 1U)
      << name << " sees members of the cluster";
  }

  temp_dir dir_;
  cluster_harness cluster_{dir_};
};

TEST_F(ClusterSecurityTest, NodeWithKeysOfAnotherClusterIsRefused) {
  generate_keys(dir_ / "keys/other");
  expect_refused("other", {"--keys-dir", dir_ / "keys/other"}, {"cryptographic"});
}

TEST_F(ClusterSecurityTest, NodeWhoseKeyIsNotOnTheAllowListIsRefused) {
  // The cluster's own cluster.key and allow-list, plus a node key that no member admits.
  const auto key = generate_keys(dir_ / "keys/unlisted", dir_ / "keys/b");
  expect_refused("unlisted", {"--keys-dir", dir_ / "keys/unlisted"}, {"unknown_key"});
  for (const auto* member : {"a", "b"})
    EXPECT_NE(log_of(cluster_.node(member)).find(key), std::string::npos)
      << member << "'s refusal does not name the key it refused";
}

TEST_F(ClusterSecurityTest, NodeWithoutKeysIsRefused) {
  // Whichever side notices first that only one side has keys (see curve_test).
  expect_refused("keyless", {}, {"mechanism_mismatch", "handshake"});
}

} // namespace
} // namespace drover::testing
