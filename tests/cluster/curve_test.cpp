#include "cluster/curve_keys.hpp"

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/cluster/recording_endpoint.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/zmq_client.hpp"

namespace drover::cluster {
namespace {

using namespace std::chrono_literals;
using testing::recording_endpoint;

constexpr const char* some_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

curve_keys load(const std::string& dir) {
  auto keys = load_curve_keys(dir);
  if (!keys)
    throw std::runtime_error(runtime::describe(keys.error()));
  return *keys;
}

std::string load_error(const std::string& dir) {
  auto keys = load_curve_keys(dir);
  return keys ? "" : runtime::describe(keys.error());
}

runtime::envelope ping(uint64_t id) {
  return runtime::envelope{{"n1", "sender"}, {"n2", "node"}, id, 0, 0, runtime::ping{id}};
}

/// A cluster of two key sets: "first" made the cluster, "member" joined it (its allow-list
/// holds both keys), and a node listening with the member's keys.
class CurveTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(generate_curve_keys(dir_ / "first"));
    ASSERT_TRUE(generate_curve_keys(dir_ / "member", dir_ / "first"));
    node_ = std::make_unique<recording_endpoint>(load(dir_ / "member"));
  }

  /// Sends a ping from `client` and expects the handshake to be refused, counted under one of
  /// `reasons` on the node, and nothing delivered to the node's handler.
  void expect_refused(recording_endpoint& client, const std::vector<std::string>& reasons) {
    client.endpoint().send_to(node_->address(), ping(1));
    EXPECT_TRUE(client.wait_for_event(node_->address(), peer_event::refused, 5s));
    const auto counted = [&] {
      double sum = 0;
      for (const auto& reason : reasons)
        sum += node_->metric("drover_transport_auth_rejected_total{reason=\"" + reason + "\"}");
      return sum;
    };
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         counted() < 1 && std::chrono::steady_clock::now() < deadline;)
      std::this_thread::sleep_for(10ms);
    EXPECT_GE(counted(), 1);
    EXPECT_GE(node_->metric("drover_transport_frames_rejected_total{reason=\"auth\"}"), 1);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(node_->arrivals().size(), 0U) << "a refused client delivered an envelope";
  }

  testing::temp_dir dir_;
  std::unique_ptr<recording_endpoint> node_;
};

TEST_F(CurveTest, AllowedClientKeyGetsThroughAndItsRepliesBack) {
  recording_endpoint client{load(dir_ / "first")};
  client.endpoint().send_to(node_->address(), ping(7));
  ASSERT_EQ(node_->wait_for_arrivals(1, 5s), 1U);
  ASSERT_EQ(client.wait_for_arrivals(1, 5s), 1U);
  EXPECT_EQ(client.arrivals()[0].message.correlation_id, 7U);
  EXPECT_TRUE(client.wait_for_event(node_->address(), peer_event::connected, 1s));
  EXPECT_EQ(node_->metric("drover_transport_frames_rejected_total{reason=\"auth\"}"), 0);
}

TEST_F(CurveTest, UnknownClientKeyIsRefused) {
  // Holds the cluster key, but its own key is not on the node's allow-list.
  ASSERT_TRUE(generate_curve_keys(dir_ / "stranger", dir_ / "first"));
  recording_endpoint client{load(dir_ / "stranger")};
  expect_refused(client, {"unknown_key"});
}

TEST_F(CurveTest, ClientOfAnotherClusterIsRefused) {
  ASSERT_TRUE(generate_curve_keys(dir_ / "other"));
  auto keys = load(dir_ / "other");
  // Even with a key on the allow-list: the cluster key does not match.
  keys.node = load(dir_ / "first").node;
  recording_endpoint client{keys};
  expect_refused(client, {"cryptographic"});
}

TEST_F(CurveTest, ClientWithoutKeysIsRefused) {
  recording_endpoint client;
  // Both sides see the mismatch; when the client hangs up first, the node sees only a handshake
  // that broke off.
  expect_refused(client, {"mechanism_mismatch", "handshake"});
  testing::zmq_client raw{node_->address()};
  raw.send(ping(2));
  EXPECT_FALSE(raw.receive(300ms));
  EXPECT_EQ(node_->arrivals().size(), 0U);
}

TEST_F(CurveTest, SecondEndpointWithKeysInOneContextFailsToBind) {
  zmq::context_t context{1};
  observability::prometheus_metrics metrics;
  zmq_endpoint first{context, metrics, {}, load(dir_ / "member")};
  ASSERT_TRUE(first.bind({"127.0.0.1", 0}));
  zmq_endpoint second{context, metrics, {}, load(dir_ / "member")};
  auto bound = second.bind({"127.0.0.1", 0});
  ASSERT_FALSE(bound);
  EXPECT_TRUE(runtime::is(bound.error(), runtime::runtime_errc::address_in_use));
}

TEST(CurveKeysTest, GenerateWritesSecretsPrivatelyAndNeverOverwritesANodeKey) {
  testing::temp_dir dir;
  auto made = generate_curve_keys(dir / "keys");
  ASSERT_TRUE(made);
  EXPECT_TRUE(made->new_cluster);
  for (const auto* file : {"node.key", "cluster.key"}) {
    struct stat status {};
    ASSERT_EQ(stat((dir / "keys/" + file).c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 0777, 0600U) << file;
  }
  const auto keys = load(dir / "keys");
  ASSERT_EQ(keys.authorized.size(), 1U);
  EXPECT_EQ(keys.authorized[0], made->node_public_key);
  EXPECT_EQ(keys.node.public_key, made->node_public_key);

  auto again = generate_curve_keys(dir / "keys");
  ASSERT_FALSE(again);
  EXPECT_NE(runtime::describe(again.error()).find("node.key already exists"), std::string::npos);
  EXPECT_EQ(load(dir / "keys").node.secret_key, keys.node.secret_key);
}

TEST(CurveKeysTest, ClusterFromCopiesTheClusterKeyAndAddsTheNewNodeToTheAllowList) {
  testing::temp_dir dir;
  ASSERT_TRUE(generate_curve_keys(dir / "a"));
  auto made = generate_curve_keys(dir / "b", dir / "a");
  ASSERT_TRUE(made);
  EXPECT_FALSE(made->new_cluster);
  const auto a = load(dir / "a");
  const auto b = load(dir / "b");
  EXPECT_EQ(b.cluster.public_key, a.cluster.public_key);
  EXPECT_NE(b.node.public_key, a.node.public_key);
  EXPECT_EQ(b.authorized, (std::vector<std::string>{a.node.public_key, b.node.public_key}));
}

TEST(CurveKeysTest, BadKeyFilesAreRefusedNamingFileAndLine) {
  testing::temp_dir dir;
  ASSERT_TRUE(generate_curve_keys(dir / "keys"));
  const auto allow_list = dir / "keys/authorized_keys";
  const auto original = testing::read_file(allow_list);

  testing::write_file(allow_list, "# members\n" + original + "tooshort\n");
  EXPECT_NE(load_error(dir / "keys").find("authorized_keys:3: expected a CURVE key (40 z85 characters), got 8"),
            std::string::npos)
    << load_error(dir / "keys");

  testing::write_file(allow_list, original + std::string(39, 'a') + "~\n");
  EXPECT_NE(load_error(dir / "keys").find("authorized_keys:2: expected a z85 key, found '~' at column 40"),
            std::string::npos)
    << load_error(dir / "keys");

  testing::write_file(allow_list, "# nobody yet\n\n");
  EXPECT_NE(load_error(dir / "keys").find("authorized_keys: no keys"), std::string::npos)
    << load_error(dir / "keys");

  testing::write_file(allow_list, std::string(some_key) + "  a key may start a comment\n");
  EXPECT_EQ(load_error(dir / "keys"), "");

  const auto cluster_key = testing::read_file(dir / "keys/cluster.key");
  testing::write_file(dir / "keys/cluster.key", "public-key = " + std::string(some_key) + "\n"
                                                  + cluster_key.substr(cluster_key.find("secret-key")));
  EXPECT_NE(load_error(dir / "keys").find("cluster.key: the public-key does not belong to the secret-key"),
            std::string::npos)
    << load_error(dir / "keys");

  testing::write_file(dir / "keys/cluster.key", "# comment\npublic key: x\n");
  EXPECT_NE(load_error(dir / "keys").find("cluster.key:2: expected `public-key = KEY` or `secret-key = KEY`"),
            std::string::npos)
    << load_error(dir / "keys");

  std::remove((dir / "keys/cluster.key").c_str());
  EXPECT_NE(load_error(dir / "keys").find("cluster.key: missing"), std::string::npos)
    << load_error(dir / "keys");
}

} // namespace
} // namespace drover::cluster
