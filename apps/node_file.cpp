#include "apps/node_file.hpp"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

namespace drover::apps {

std::string node_file_path(const std::string& data_dir) {
  return data_dir + "/node.json";
}

caf::error write_node_file(const node_file& file) {
  const nlohmann::json json{{"node_id", file.node_id}, {"pid", file.pid},
                            {"version", file.version}, {"data_dir", file.data_dir},
                            {"listen", file.listen},   {"advertise", file.advertise},
                            {"http", file.http},       {"metrics", file.metrics}};
  const auto path = node_file_path(file.data_dir);
  const auto temporary = path + ".tmp";
  {
    std::ofstream out{temporary, std::ios::trunc};
    out << json.dump(2) << '\n';
    if (!out.flush())
      return runtime::make_error(runtime::runtime_errc::io_error, "cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return runtime::make_error(runtime::runtime_errc::io_error, "cannot rename " + temporary + " to " + path);
  return caf::none;
}

std::optional<node_file> read_node_file(const std::string& data_dir) {
  std::ifstream in{node_file_path(data_dir)};
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return std::nullopt;
  node_file file;
  file.node_id = json.value("node_id", "");
  file.pid = json.value("pid", 0L);
  file.version = json.value("version", "");
  file.data_dir = json.value("data_dir", data_dir);
  file.listen = json.value("listen", "");
  file.advertise = json.value("advertise", "");
  file.http = json.value("http", "");
  file.metrics = json.value("metrics", "");
  return file;
}

} // namespace drover::apps
