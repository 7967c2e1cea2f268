#include "tests/testing/running_node.hpp"

#include <chrono>
#include <stdexcept>

#include <httplib.h>

#include "tests/testing/text.hpp"

namespace drover::testing {

namespace {

std::vector<std::string> up_command(const std::string& data_dir,
                                    const std::vector<std::string>& extra_args,
                                    const std::string& host) {
  std::vector<std::string> command{
    "up",     "--data-dir", data_dir,    "--listen", "tcp://" + host + ":0",
    "--http", host + ":0",  "--metrics", host + ":0"};
  command.insert(command.end(), extra_args.begin(), extra_args.end());
  return command;
}

} // namespace

running_node::running_node(const std::string& data_dir, const std::string& log_prefix,
                           const std::vector<std::string>& extra_args,
                           const node_placement& placement)
  : process_{up_command(data_dir, extra_args, placement.host), log_prefix, placement.launcher} {
  auto info = process_.wait_for_node_file(data_dir, std::chrono::seconds{30});
  if (!info)
    throw std::runtime_error{"node did not start: " + process_.err()};
  http_ = (*info)["http"];
  listen_ = (*info)["listen"];
  metrics_ = info->value("metrics", "");
  client_ = std::make_unique<httplib::Client>("http://" + http_);
  client_->set_read_timeout(30);
}

running_node::~running_node() = default;

nlohmann::json running_node::get(const std::string& path) {
  auto response = client_->Get(path.c_str());
  return response ? nlohmann::json::parse(response->body, nullptr, false) : nlohmann::json{};
}

double metric_sum(const std::string& metrics_address, const std::string& prefix) {
  const auto colon = metrics_address.rfind(':');
  if (colon == std::string::npos)
    return 0;
  httplib::Client client{metrics_address.substr(0, colon), std::stoi(metrics_address.substr(colon + 1))};
  client.set_connection_timeout(5);
  auto response = client.Get("/metrics");
  double sum = 0;
  if (response)
    for (const auto& line : lines_of(response->body))
      if (line.rfind(prefix, 0) == 0)
        sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

double running_node::metric(const std::string& prefix) {
  return metric_sum(metrics_, prefix);
}

std::string running_node::submit(const nlohmann::json& request) {
  auto response = client_->Post("/v1/jobs", request.dump(), "application/json");
  if (!response || response->status != 201)
    throw std::runtime_error{"submit failed: " + (response ? response->body : std::string{"no answer"})};
  return nlohmann::json::parse(response->body)["id"];
}

} // namespace drover::testing
