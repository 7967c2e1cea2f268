#pragma once

#include <string>

#include <caf/expected.hpp>

namespace drover::runtime {

/// Returns the whole content of the file at `path`: not_found when it does not exist, io_error
/// when it cannot be read. Thread-safe.
caf::expected<std::string> read_file(const std::string& path);

} // namespace drover::runtime
