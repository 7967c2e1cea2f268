// A network partition of one node of a real three-node cluster. The test makes its own network:
// a namespace joined to the host by a veth pair on 10.213.N.0/24. Nodes a and b listen on the
// host's end, node c runs inside the namespace (`ip netns exec`), all with CurveZMQ keys. While a
// job runs, c is cut off silently (its end of the link goes down: its packets vanish, no RST):
// the others declare it dead within the configured bound, its items are leased again and the job
// finishes without it; once the link is back, c is alive again and no file was marked twice.
// Where the machine does not allow namespaces, the test is skipped and says why.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/cluster_harness.hpp"
#include "tests/testing/git_repo.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/text.hpp"

namespace drover::testing {
namespace {

using namespace std::chrono_literals;

constexpr int file_count = 240;
constexpr auto heartbeat = 100ms;
constexpr auto suspicion = 1000ms;

std::string file_name(int i) {
  return "src/m" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".txt";
}

std::string file_content(int i) {
  return "file " + std::to_string(i) + "\n";
}

/// Runs `command` through the shell; returns its exit status and what it wrote (stdout and
/// stderr) in `output`.
int run_command(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return -1;
  std::array<char, 512> buffer{};
  for (size_t read = 0; (read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;)
    output.append(buffer.data(), read);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A network namespace joined to the host by a veth pair: host_address() on the host's end,
/// inner_address() on the namespace's, both in one 10.213.N.0/24 that no interface of the host
/// uses. Deleted with its link when the object goes (even when the test failed); its processes
/// must be gone by then. Not thread-safe.
class network_namespace {
public:
  /// Creates one, or returns nothing with `why_not` saying why the machine does not allow it.
  static std::unique_ptr<network_namespace> create(std::string& why_not) {
    std::string output;
    if (run_command("command -v ip", output) != 0) {
      why_not =
        "the `ip` command is missing (Debian package iproute2): cannot build a network partition";
      return nullptr;
    }
    const auto pid = std::to_string(getpid());
    std::unique_ptr<network_namespace> made{
      new network_namespace{"drover-part-" + pid, "drv" + pid + "h", "drv" + pid + "n"}};
    if (run_command("ip netns add " + made->name_, output) != 0) {
      why_not =
        "cannot create a network namespace (needs root or CAP_NET_ADMIN): ip netns add: " + output;
      made->name_.clear(); // nothing to delete
      return nullptr;
    }
    made->created_ = true;
    const auto subnet = made->free_subnet();
    if (subnet.empty()) {
      why_not = "no free 10.213.N.0/24 for the test's link";
      return nullptr;
    }
    made->host_address_ = subnet + ".1";
    made->inner_address_ = subnet + ".2";
    const auto in_ns = "ip netns exec " + made->name_ + " ";
    for (const auto& step :
         {"ip link add " + made->host_link_ + " type veth peer name " + made->inner_link_,
          "ip link set " + made->inner_link_ + " netns " + made->name_,
          "ip addr add " + made->host_address_ + "/24 dev " + made->host_link_,
          "ip link set " + made->host_link_ + " up",
          in_ns + "ip addr add " + made->inner_address_ + "/24 dev " + made->inner_link_,
          in_ns + "ip link set " + made->inner_link_ + " up", in_ns + "ip link set lo up"})
      if (run_command(step, output) != 0) {
        why_not = "cannot build the test's network (" + step + "): " + output;
        return nullptr;
      }
    return made;
  }

  ~network_namespace() {
    std::string output;
    // Deleting the namespace deletes its end of the pair, and with it the host's end; the host's
    // end is deleted by name too, should it have been made before it could be moved.
    if (created_)
      run_command("ip netns del " + name_, output);
    run_command("ip link del " + host_link_, output);
  }

  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  /// Returns the command that runs a program inside the namespace.
  std::vector<std::string> launcher() const { return {"ip", "netns", "exec", name_}; }

  const std::string& host_address() const { return host_address_; }
  const std::string& inner_address() const { return inner_address_; }

  /// Cuts the namespace off: its end of the link goes down, so packets either way are dropped
  /// without a reset or an ICMP error, as when a cable is pulled. Returns false on failure.
  bool cut() { return set_inner_link("down"); }

  /// Brings the link back (its addresses and routes with it).
  bool heal() { return set_inner_link("up"); }

private:
  network_namespace(std::string name, std::string host_link, std::string inner_link)
    : name_(std::move(name))
    , host_link_(std::move(host_link))
    , inner_link_(std::move(inner_link)) {}

  bool set_inner_link(const std::string& state) {
    std::string output;
    const bool done =
      run_command("ip netns exec " + name_ + " ip link set " + inner_link_ + " " + state, output) ==
      0;
    EXPECT_TRUE(done) << "ip link set " << inner_link_ << " " << state << ": " << output;
    return done;
  }

  /// Returns "10.213.N" for an N (spread by PID) whose /24 no interface of the host uses.
  std::string free_subnet() const {
    std::string output;
    for (int attempt = 0; attempt < 50; ++attempt) {
      const auto subnet = "10.213." + std::to_string((getpid() + attempt) % 250 + 1);
      if (run_command("ip -4 -o addr show to " + subnet + ".0/24", output) == 0 && output.empty())
        return subnet;
    }
    return "";
  }

  std::string name_;
  std::string host_link_;
  std::string inner_link_;
  std::string host_address_;
  std::string inner_address_;
  bool created_ = false;
};

class ClusterPartitionTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why_not;
    network_ = network_namespace::create(why_not);
    if (!network_)
      GTEST_SKIP() << "no network partition on this machine: " << why_not;
    std::map<std::string, std::string> files;
    for (int i = 0; i < file_count; ++i)
      files[file_name(i)] = file_content(i);
    make_git_repo(dir_ / "repo", files);
    // 60 items of 4 files at 0.3 s each: about 3 s on six invokers, so that c holds items when
    // it is cut off and the job outlasts its detection.
    write_file(
      dir_ / "tools/slow-mark.yaml",
      "id: slow-mark\nversion: '1'\ndescription: appends a line to each file, slowly\n"
      "capabilities: [fix]\nlanguages: []\nfile_patterns: ['**/*.txt']\n"
      "side_effect: writes-files\nfiles_per_invocation: 4\n"
      "argv: [sh, -c, 'sleep 0.3; for f; do echo marked >> \"$f\"; done', sh, \"{files}\"]\n");
    make_cluster_keys({dir_ / "keys/a", dir_ / "keys/b", dir_ / "keys/c"});
  }

  /// Starts node `name` (a, b or c) with its keys and the test's heartbeat timing.
  void start(const std::string& name, const node_placement& placement) {
    cluster_.start(name,
                   {"--keys-dir", dir_ / ("keys/" + name), "--invokers", "2",
                    "--heartbeat-interval-ms", std::to_string(heartbeat.count()),
                    "--suspicion-timeout-ms", std::to_string(suspicion.count())},
                   true, placement);
  }

  /// Returns what node `viewer` says of member `node_id` (null when it does not list it).
  nlohmann::json member(const std::string& viewer, const std::string& node_id) {
    const auto members = cluster_.node(viewer).get("/v1/cluster/members");
    if (members.is_array())
      for (const auto& listed : members)
        if (listed.value("node_id", "") == node_id)
          return listed;
    return nullptr;
  }

  bool member_in(const std::string& viewer, const std::string& node_id, const std::string& state) {
    const auto listed = member(viewer, node_id);
    return listed.is_object() && listed.value("state", "") == state;
  }

  /// Returns what node `name` logged so far (what it printed and its log, which goes to stderr).
  std::string log_of(const std::string& name) {
    return cluster_.node(name).process().out() + cluster_.node(name).process().err();
  }

  /// Expects every file of the user's checkout to hold its content plus exactly one mark.
  void expect_each_file_marked_once() {
    int wrong = 0;
    for (int i = 0; i < file_count; ++i)
      if (read_file(dir_ / ("repo/" + file_name(i))) != file_content(i) + "marked\n" &&
          ++wrong <= 3)
        ADD_FAILURE() << file_name(i) << " holds '" << read_file(dir_ / ("repo/" + file_name(i)))
                      << "'";
    EXPECT_EQ(wrong, 0);
  }

  // Destroyed in reverse: the nodes (c inside the namespace) go before the namespace.
  temp_dir dir_;
  std::unique_ptr<network_namespace> network_;
  cluster_harness cluster_{dir_};
};

TEST_F(ClusterPartitionTest,
       PartitionedNodeIsDeclaredDeadItsItemsReassignedAndNothingAppliedTwice) {
  const node_placement host{network_->host_address(), {}};
  start("a", host);
  start("b", host);
  start("c", {network_->inner_address(), network_->launcher()});
  for (const auto* name : {"a", "b", "c"})
    ASSERT_TRUE(cluster_.wait_members(name, 3, "alive", 10s))
      << name << " does not see three members";
  const auto c_id = cluster_.node_id("c");

  const auto id = cluster_.node("a").submit({{"repo", dir_ / "repo"},
                                             {"include", {"**/*.txt"}},
                                             {"tools", {"slow-mark"}},
                                             {"mode", "apply"}});
  ASSERT_TRUE(wait_until(
    [&] {
      const auto c = member("a", c_id);
      return c.is_object() && c.value("items_in_flight", 0) > 0;
    },
    20s))
    << "node c never held an item";

  ASSERT_TRUE(network_->cut());
  const auto cut_at = std::chrono::steady_clock::now();
  const auto bound = suspicion * 3 / 2;
  for (const auto* name : {"a", "b"}) {
    ASSERT_TRUE(wait_until([&] { return member_in(name, c_id, "dead"); }, 5s))
      << name << " never declared c dead";
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - cut_at);
    EXPECT_LT(after, bound) << name << " declared c dead " << after.count() << " ms after the cut";
    std::printf("[ partition ] %s declared c dead %lld ms after the cut\n", name,
                static_cast<long long>(after.count()));
  }

  const auto report = cluster_.wait_job("a", id, 60s);
  ASSERT_EQ(report["state"], "succeeded") << report.dump(2);
  EXPECT_EQ(report["items"]["done"], report["items"]["total"]);
  const auto coordinator_log = log_of("a");
  EXPECT_NE(coordinator_log.find("node " + c_id + " is dead; leasing its"), std::string::npos)
    << "the coordinator did not lease c's items again:\n"
    << coordinator_log;

  ASSERT_TRUE(network_->heal());
  const auto healed_at = std::chrono::steady_clock::now();
  for (const auto* name : {"a", "b"})
    EXPECT_TRUE(wait_until([&] { return member_in(name, c_id, "alive"); }, 15s))
      << name << " does not see c alive again after the partition healed";
  std::printf("[ partition ] c alive again %lld ms after the heal\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - healed_at)
                                       .count()));
  EXPECT_TRUE(cluster_.wait_members("c", 3, "alive", 10s))
    << "c does not see the others alive again";

  // c is back, so whatever it finished while cut off and still had queued for a has reached a by
  // now: it must have changed nothing, and each one refused is counted.
  std::this_thread::sleep_for(2 * heartbeat);
  expect_each_file_marked_once();
  size_t rejected = 0;
  for (const auto& line : lines_of(log_of("a")))
    rejected += line.find("rejected a result for item") != std::string::npos ? 1 : 0;
  std::printf("[ partition ] late results rejected: %zu\n", rejected);
  EXPECT_EQ(cluster_.node("a").metric(R"(drover_leases_total{event="rejected_late"})"),
            static_cast<double>(rejected))
    << "late results rejected and counted differ";
}

} // namespace
} // namespace drover::testing
