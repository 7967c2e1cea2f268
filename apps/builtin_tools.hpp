#pragma once

#include <string>
#include <utility>
#include <vector>

namespace drover::apps {

/// Returns (source name, YAML text) of every built-in tool manifest (examples/tools/*.yaml,
/// embedded at build time).
std::vector<std::pair<std::string, std::string>> builtin_tool_manifests();

} // namespace drover::apps
