#pragma once

#include <string>
#include <utility>
#include <vector>

namespace drover::apps {

/// Returns (library, version) for Drover and every library it is built on.
std::vector<std::pair<std::string, std::string>> library_versions();

} // namespace drover::apps
