#include "tests/testing/running_node.hpp"

#include <chrono>
#include <stdexcept>

#include <httplib.h>

namespace drover::testing {

namespace {

std::vector<std::string> up_command(const std::string& data_dir,
                                    const std::vector<std::string>& extra_args) {
  std::vector<std::string> command{"up", "--data-dir", data_dir, "--listen", "tcp://127.0.0.1:0",
                                   "--http", "127.0.0.1:0", "--metrics", "127.0.0.1:0"};
  command.insert(command.end(), extra_args.begin(), extra_args.end());
  return command;
}

} // namespace

running_node::running_node(const std::string& data_dir, const std::string& log_prefix,
                           const std::vector<std::string>& extra_args)
  : process_{up_command(data_dir, extra_args), log_prefix} {
  auto info = process_.wait_for_node_file(data_dir, std::chrono::seconds{30});
  if (!info)
    throw std::runtime_error{"node did not start: " + process_.err()};
  http_ = (*info)["http"];
  listen_ = (*info)["listen"];
  client_ = std::make_unique<httplib::Client>("http://" + http_);
  client_->set_read_timeout(30);
}

running_node::~running_node() = default;

nlohmann::json running_node::get(const std::string& path) {
  auto response = client_->Get(path.c_str());
  return response ? nlohmann::json::parse(response->body, nullptr, false) : nlohmann::json{};
}

std::string running_node::submit(const nlohmann::json& request) {
  auto response = client_->Post("/v1/jobs", request.dump(), "application/json");
  if (!response || response->status != 201)
    throw std::runtime_error{"submit failed: " + (response ? response->body : std::string{"no answer"})};
  return nlohmann::json::parse(response->body)["id"];
}

} // namespace drover::testing
