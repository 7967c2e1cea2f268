// Starts real `drover up` processes on free loopback ports and checks what a user would see.

#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/testing/drover_process.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/zmq_client.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> up_args(const std::string& data_dir) {
  return {"up", "--data-dir", data_dir, "--listen", "tcp://127.0.0.1:0",
          "--http", "127.0.0.1:0", "--metrics", "127.0.0.1:0"};
}

std::string http_get(const std::string& host_port, const std::string& path) {
  const auto colon = host_port.rfind(':');
  httplib::Client client{host_port.substr(0, colon), std::stoi(host_port.substr(colon + 1))};
  client.set_connection_timeout(5);
  auto response = client.Get(path.c_str());
  return response && response->status == 200 ? response->body : "";
}

TEST(NodeProcessTest, ServesMetricsAnswersPingStopsCleanlyAndKeepsItsStore) {
  temp_dir dir;
  std::string first_id;
  {
    drover_process node{up_args(dir / "data"), dir / "first"};
    auto info = node.wait_for_node_file(dir / "data", 20s);
    ASSERT_TRUE(info) << node.err();
    first_id = (*info)["node_id"];

    const auto metrics = http_get((*info)["metrics"], "/metrics");
    EXPECT_NE(metrics.find("drover_build_info{version="), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("drover_process_resident_memory_bytes"), std::string::npos);
    EXPECT_NE(metrics.find("drover_process_open_fds"), std::string::npos);
    EXPECT_NE(metrics.find("drover_uptime_seconds"), std::string::npos);

    zmq_client client{(*info)["listen"]};
    auto pong = client.ping("node", 1234);
    ASSERT_TRUE(pong) << "no pong from " << (*info)["listen"];
    EXPECT_EQ(pong->nonce, 1234U);
    EXPECT_EQ(pong->node_id, first_id);
    EXPECT_EQ(pong->boot_count, 1U);

    EXPECT_NE(http_get((*info)["http"], "/v1/node").find(first_id), std::string::npos);

    node.signal(SIGTERM);
    EXPECT_EQ(node.wait(20s), 0) << node.err();
    EXPECT_NE(node.out().find("stopped"), std::string::npos);
  }
  drover_process again{up_args(dir / "data"), dir / "second"};
  auto info = again.wait_for_node_file(dir / "data", 20s);
  ASSERT_TRUE(info) << again.err();
  EXPECT_EQ((*info)["node_id"], first_id) << "the second run did not read the first run's store";
  zmq_client client{(*info)["listen"]};
  auto pong = client.ping("node", 1);
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->boot_count, 2U);
  again.signal(SIGINT);
  EXPECT_EQ(again.wait(20s), 0) << again.err();
}

TEST(NodeProcessTest, SecondNodeOnTheSameDataDirExitsWithOneClearLine) {
  temp_dir dir;
  drover_process node{up_args(dir / "data"), dir / "first"};
  ASSERT_TRUE(node.wait_for_node_file(dir / "data", 20s)) << node.err();
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover(up_args(dir / "data"), out, err), 2);
  EXPECT_NE(err.find("locked by another process"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_TRUE(node.wait_for_node_file(dir / "data", 1s)) << "the first node's node.json was lost";
}

TEST(NodeProcessTest, PortInUseExitsWithOneClearLine) {
  temp_dir dir;
  drover_process node{up_args(dir / "a"), dir / "first"};
  auto info = node.wait_for_node_file(dir / "a", 20s);
  ASSERT_TRUE(info) << node.err();
  for (const auto& [flag, taken] :
       {std::pair<std::string, std::string>{"--listen", (*info)["listen"]},
        {"--http", (*info)["http"]},
        {"--metrics", (*info)["metrics"]}}) {
    auto args = up_args(dir / ("b" + flag));
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag)
        args[i + 1] = taken;
    std::string out;
    std::string err;
    EXPECT_EQ(run_drover(args, out, err), 2) << flag;
    EXPECT_NE(err.find("in use"), std::string::npos) << flag << ": " << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << flag << ": " << err;
  }
}

TEST(NodeProcessTest, UnwritableDataDirExitsWithStatusTwo) {
  temp_dir dir;
  write_file(dir / "plain-file", "x");
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover(up_args(dir / "plain-file/data"), out, err), 2);
  EXPECT_NE(err.find("cannot create the data directory"), std::string::npos) << err;
}

TEST(NodeProcessTest, BadConfigNamesFileAndKey) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "metrics: nowhere\n");
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover({"config", "show", "--config", dir / "drover.yaml"}, out, err), 2);
  EXPECT_NE(err.find(dir / "drover.yaml:1"), std::string::npos) << err;
  EXPECT_NE(err.find("metrics: expected"), std::string::npos) << err;
}

TEST(NodeProcessTest, ConfigShowReportsPrecedence) {
  temp_dir dir;
  write_file(dir / "drover.yaml", "http: 127.0.0.1:9001\nmetrics: 127.0.0.1:9002\n");
  setenv("DROVER_METRICS", "127.0.0.1:9003", 1);
  std::string out;
  std::string err;
  const auto status = run_drover(
    {"config", "show", "--config", dir / "drover.yaml", "--log-level", "debug"}, out, err);
  unsetenv("DROVER_METRICS");
  EXPECT_EQ(status, 0) << err;
  EXPECT_NE(out.find("127.0.0.1:9001"), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.0.1:9003"), std::string::npos) << out;
  EXPECT_NE(out.find("# env DROVER_METRICS"), std::string::npos) << out;
  EXPECT_NE(out.find("# flag --log-level"), std::string::npos) << out;
}

TEST(NodeProcessTest, VersionNamesEveryLibrary) {
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover({"version"}, out, err), 0);
  for (const auto* library : {"drover", "caf", "zeromq", "flatbuffers", "rocksdb", "prometheus-cpp"})
    EXPECT_NE(out.find(library), std::string::npos) << library << " missing in:\n" << out;
  EXPECT_NE(out.find("0.17.6"), std::string::npos) << out;
}

TEST(NodeProcessTest, UnknownFlagIsAUsageError) {
  std::string out;
  std::string err;
  EXPECT_EQ(run_drover({"up", "--no-such-flag"}, out, err), 2);
  EXPECT_NE(err.find("no-such-flag"), std::string::npos) << err;
}

} // namespace
} // namespace drover::testing
