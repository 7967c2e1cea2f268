#include "runtime/file_io.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/error.hpp"

namespace drover::runtime {

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errno == ENOENT ? runtime_errc::not_found : runtime_errc::io_error,
                      "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad())
    return make_error(runtime_errc::io_error, "cannot read " + path);
  return std::move(bytes).str();
}

} // namespace drover::runtime
