// Sends ten thousand random and mutated frames to a real node's ZeroMQ endpoint while it runs a
// job, and checks that the node stays up, keeps serving the job, and counted every frame.

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/envelope_codec.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/running_node.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/zmq_client.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

constexpr int frame_count = 10000;
constexpr size_t max_frame_bytes = 16 * 1024 * 1024; // the node's decode_limits default

/// Makes frames that a node must survive: random bytes (some with the envelope's file
/// identifier, so that they reach the verifier), truncated and bit-flipped envelopes, messages
/// of several parts, empty frames and a few over the size limit. Each is one ZeroMQ message.
class frame_maker {
public:
  explicit frame_maker(uint32_t seed) : random_(seed) {
    const runtime::actor_address from{"fuzz", "fuzzer"};
    for (const auto& message :
         {runtime::wire_message{runtime::ping{1}}, runtime::wire_message{runtime::pong{2, "n", 3, 4}},
          runtime::wire_message{runtime::node_hello{"n", "tcp://127.0.0.1:1", "0"}},
          runtime::wire_message{runtime::lease_request{"no-such-job", "fuzz#1"}},
          runtime::wire_message{runtime::report_ack{true}}}) {
      const auto bytes = runtime::encode(runtime::envelope{from, {"", "node"}, 1, 0, 0, message});
      valid_.emplace_back(bytes.begin(), bytes.end());
    }
  }

  std::vector<std::string> next() {
    switch (pick(0, 9)) {
      case 0:
      case 1: return {random_bytes(pick(0, 2000))};
      case 2: {
        auto bytes = random_bytes(pick(8, 400));
        bytes.replace(4, 4, "DRV1");
        return {bytes};
      }
      case 3:
      case 4: {
        const auto& valid = valid_[pick(0, valid_.size() - 1)];
        return {valid.substr(0, pick(0, valid.size() - 1))};
      }
      case 5:
      case 6:
      case 7: {
        auto bytes = valid_[pick(0, valid_.size() - 1)];
        for (int flips = pick(1, 4); flips > 0; --flips)
          bytes[pick(0, bytes.size() - 1)] ^= static_cast<char>(1 << pick(0, 7));
        return {bytes};
      }
      case 8: {
        std::vector<std::string> parts(pick(2, 5));
        for (auto& part : parts)
          part = pick(0, 1) ? valid_[0] : random_bytes(pick(0, 100));
        return parts;
      }
      default:
        // Rarely over the limit (but within twice it, so the node reads and counts it).
        return {pick(0, 199) == 0 ? std::string(max_frame_bytes + 1, 'x') : std::string{}};
    }
  }

private:
  size_t pick(size_t low, size_t high) {
    return std::uniform_int_distribution<size_t>{low, high}(random_);
  }

  std::string random_bytes(size_t size) {
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
      byte = static_cast<char>(pick(0, 255));
    return bytes;
  }

  std::mt19937 random_;
  std::vector<std::string> valid_;
};

TEST(FrameFuzzTest, NodeSurvivesTenThousandBadFramesAndFinishesItsJob) {
  temp_dir dir;
  std::map<std::string, std::string> files;
  for (int i = 0; i < 300; ++i)
    files["src/f" + std::to_string(i) + ".txt"] = "old_call(" + std::to_string(i) + ")\n";
  make_git_repo(dir / "repo", files);
  running_node node{dir / "data", dir / "node", {"--invokers", "2"}};
  const auto metrics = nlohmann::json::parse(read_file(dir / "data/node.json"))["metrics"].get<std::string>();
  const auto id = node.submit({{"repo", dir / "repo"},
                               {"include", {"**/*.txt"}},
                               {"tools", {"drover-codemod"}},
                               {"args", {"--literal", "old_call(", "--to", "new_call("}},
                               {"batch_size", 10}});

  const auto seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  frame_maker frames{seed};
  const auto rejected = [&](const std::string& reason) {
    return metric_sum(metrics, "drover_transport_frames_rejected_total{reason=\"" + reason + "\"}");
  };
  const auto received = [&] { return metric_sum(metrics, "drover_transport_frames_received_total{"); };
  // Every frame is either rejected for one reason or, if a mutation still verifies, received.
  const auto counted = [&] {
    return received() + rejected("malformed") + rejected("oversized") + rejected("framing");
  };
  const auto counted_before = counted();
  {
    zmq_client fuzzer{node.listen()};
    for (int i = 0; i < frame_count; ++i)
      fuzzer.send_raw(frames.next());
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         counted() - counted_before < frame_count && std::chrono::steady_clock::now() < deadline;)
      std::this_thread::sleep_for(50ms);
    EXPECT_EQ(counted() - counted_before, frame_count);
    EXPECT_GT(rejected("malformed"), frame_count / 2);
    EXPECT_GT(rejected("framing"), 0);
    std::printf("received %.0f, rejected: malformed %.0f, oversized %.0f, framing %.0f; the job "
                "was %s by then\n",
                received(), rejected("malformed"), rejected("oversized"), rejected("framing"),
                node.get("/v1/jobs/" + id).value("state", "?").c_str());
  }
  {
    // A frame far over the limit costs its sender the connection, not the node its memory.
    zmq_client flooder{node.listen()};
    flooder.send_raw({std::string(3 * max_frame_bytes, 'x')});
  }

  zmq_client client{node.listen()};
  EXPECT_TRUE(client.ping("node", 42)) << "the node stopped answering pings: " << node.process().err();
  nlohmann::json job;
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(100ms)) {
    job = node.get("/v1/jobs/" + id);
    if (job.value("state", "") == "succeeded" || job.value("state", "") == "failed")
      break;
  }
  EXPECT_EQ(job.value("state", ""), "succeeded") << job.dump(2);
  EXPECT_EQ(job["files"]["changed"], 300);
  EXPECT_TRUE(node.process().wait(0ms) == std::nullopt) << "the node exited: " << node.process().err();
}

} // namespace
} // namespace drover::testing
