# Every third-party library Drover uses, all from Debian bookworm packages.
# scripts/install-deps.sh installs them; a missing one fails here with the package to install.

find_package(Threads REQUIRED)
find_package(FlatBuffers REQUIRED)          # libflatbuffers-dev, flatbuffers-compiler
find_package(RocksDB REQUIRED)              # librocksdb-dev
find_package(prometheus-cpp REQUIRED)       # prometheus-cpp-dev
# Its CMake config carries no version; its pkg-config file does (for `drover version`).
find_package(PkgConfig REQUIRED)
pkg_check_modules(PROMETHEUS_CPP_PC QUIET prometheus-cpp-core)
find_package(cppzmq REQUIRED)               # cppzmq-dev, libzmq3-dev
find_package(yaml-cpp REQUIRED)             # libyaml-cpp-dev
find_package(nlohmann_json REQUIRED)        # nlohmann-json3-dev
find_package(CLI11 REQUIRED)                # libcli11-dev
find_package(spdlog REQUIRED)               # libspdlog-dev
find_package(GTest REQUIRED)                # libgtest-dev, libgmock-dev
find_package(benchmark REQUIRED)            # libbenchmark-dev

# CAF 0.17.6 (libcaf-dev) ships no CMake config.
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
add_library(caf::core UNKNOWN IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")

# xxHash (libxxhash-dev) ships no CMake config either.
find_library(XXHASH_LIBRARY xxhash REQUIRED)
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
add_library(xxhash::xxhash UNKNOWN IMPORTED)
set_target_properties(xxhash::xxhash PROPERTIES
  IMPORTED_LOCATION "${XXHASH_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${XXHASH_INCLUDE_DIR}")

# cpp-httplib (libcpp-httplib-dev) is compiled by Debian with TLS and compression enabled; its
# pkg-config flags must be used, or the class layouts differ from the library's.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
