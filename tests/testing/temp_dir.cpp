#include "tests/testing/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace drover::testing {

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string{base != nullptr ? base : "/tmp"} + "/drover-test-XXXXXX";
  std::vector<char> buffer{pattern.begin(), pattern.end()};
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr)
    throw std::runtime_error{"mkdtemp failed for " + pattern};
  path_ = buffer.data();
}

temp_dir::~temp_dir() {
  if (std::getenv("DROVER_KEEP_TEST_DIRS") != nullptr) // for reading a failed test's logs
    return;
  std::error_code ignored; // a test that already removed it is fine
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path{path}.parent_path());
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

} // namespace drover::testing
