#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace drover::runtime {

/// Returns the content hash of `bytes`: XXH3_64bits (seed 0) as 16 lowercase hex digits, the
/// form in which per-file hashes before and after a tool run are recorded.
std::string content_hash(std::string_view bytes);

/// Returns content_hash() of the file at `path`, reading it in chunks (no full copy in
/// memory). Returns not_found when the file does not exist, io_error when it cannot be read.
caf::expected<std::string> hash_file(const std::string& path);

} // namespace drover::runtime
