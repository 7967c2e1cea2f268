#include "apps/versions.hpp"

#include <caf/config.hpp>
#include <flatbuffers/base.h>
#include <rocksdb/version.h>
#include <spdlog/version.h>
#include <zmq.h>

#include "build_info.hpp"

namespace drover::apps {

std::vector<std::pair<std::string, std::string>> library_versions() {
  int zmq_major = 0;
  int zmq_minor = 0;
  int zmq_patch = 0;
  zmq_version(&zmq_major, &zmq_minor, &zmq_patch);
  auto dotted = [](int major, int minor, int patch) {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  };
  return {
    {"drover", drover_version},
    {"caf", dotted(CAF_VERSION / 10000, CAF_VERSION / 100 % 100, CAF_VERSION % 100)},
    {"zeromq", dotted(zmq_major, zmq_minor, zmq_patch) + " (cppzmq " + cppzmq_version + ")"},
    {"flatbuffers", dotted(FLATBUFFERS_VERSION_MAJOR, FLATBUFFERS_VERSION_MINOR,
                           FLATBUFFERS_VERSION_REVISION)},
    {"rocksdb", rocksdb::GetRocksVersionAsString(true)},
    {"prometheus-cpp", prometheus_cpp_version},
    {"yaml-cpp", yaml_cpp_version},
    {"spdlog", dotted(SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
  };
}

} // namespace drover::apps
