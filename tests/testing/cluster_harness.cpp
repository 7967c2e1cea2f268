#include "tests/testing/cluster_harness.hpp"

#include <signal.h>

#include <stdexcept>
#include <thread>

namespace drover::testing {

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return done();
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return true;
}

std::string generate_keys(const std::string& dir, const std::string& cluster_from) {
  std::vector<std::string> args{"keys", "generate", "--dir", dir};
  if (!cluster_from.empty()) {
    args.push_back("--cluster-from");
    args.push_back(cluster_from);
  }
  std::string out;
  std::string err;
  if (run_drover(args, out, err) != 0)
    throw std::runtime_error{"drover keys generate --dir " + dir + " failed: " + out + err};
  const std::string label = "node public key: ";
  const auto at = out.find(label);
  if (at == std::string::npos)
    throw std::runtime_error{"drover keys generate printed no key: " + out};
  return out.substr(at + label.size(), 40);
}

std::vector<std::string> make_cluster_keys(const std::vector<std::string>& dirs) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < dirs.size(); ++i)
    keys.push_back(generate_keys(dirs[i], i == 0 ? "" : dirs[i - 1]));
  // The last one's list holds every key: each copied the list of the one before and added its own.
  const auto allow_list = read_file(dirs.back() + "/authorized_keys");
  for (const auto& dir : dirs)
    write_file(dir + "/authorized_keys", allow_list);
  return keys;
}

running_node& cluster_harness::start(const std::string& name, std::vector<std::string> extra_args,
                                     bool join, const node_placement& placement) {
  std::vector<std::string> args{"--tools-dir", dir_ / "tools"};
  if (join && !seed_.empty()) {
    args.push_back("--join");
    args.push_back(seed_);
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  for (auto& [known, node] : nodes_)
    if (known == name) {
      node.reset(); // a restart: the old process is gone (killed) or is killed now
      node =
        std::make_unique<running_node>(dir_ / name, dir_ / (name + "-restart"), args, placement);
      return *node;
    }
  nodes_.emplace_back(name,
                      std::make_unique<running_node>(dir_ / name, dir_ / name, args, placement));
  if (seed_.empty())
    seed_ = nodes_.back().second->listen();
  return *nodes_.back().second;
}

running_node& cluster_harness::node(const std::string& name) {
  for (auto& [known, node] : nodes_)
    if (known == name)
      return *node;
  throw std::runtime_error{"no node " + name};
}

void cluster_harness::kill(const std::string& name) {
  auto& process = node(name).process();
  process.signal(SIGKILL);
  process.wait(std::chrono::seconds{10});
}

std::vector<nlohmann::json> cluster_harness::members_in(const std::string& name, const std::string& state) {
  std::vector<nlohmann::json> found;
  const auto members = node(name).get("/v1/cluster/members");
  if (members.is_array())
    for (const auto& member : members)
      if (member["state"] == state)
        found.push_back(member);
  return found;
}

bool cluster_harness::wait_members(const std::string& name, size_t count, const std::string& state,
                                   std::chrono::milliseconds timeout) {
  return wait_until([&] { return members_in(name, state).size() == count; }, timeout);
}

nlohmann::json cluster_harness::wait_job(const std::string& name, const std::string& id,
                                         std::chrono::milliseconds timeout) {
  nlohmann::json job;
  wait_until(
    [&] {
      job = node(name).get("/v1/jobs/" + id);
      const auto state = job.is_object() ? job.value("state", "") : "";
      return state == "succeeded" || state == "failed" || state == "cancelled";
    },
    timeout);
  return node(name).get("/v1/jobs/" + id + "/report");
}

std::string cluster_harness::node_id(const std::string& name) {
  return node(name).get("/v1/node").value("node_id", "");
}

} // namespace drover::testing
