#include "runtime/tool_file_filter.hpp"

#include <algorithm>
#include <iterator>

#include "runtime/error.hpp"

namespace drover::runtime {

caf::expected<tool_file_filter> tool_file_filter::make(const std::vector<tool_manifest>& chain) {
  tool_file_filter filter;
  std::string tools;
  for (const auto& tool : chain) {
    auto& compiled = filter.patterns_.emplace_back();
    std::string listed;
    for (const auto& pattern : tool.file_patterns) {
      auto parsed = glob::parse(pattern);
      if (!parsed)
        return make_error(runtime_errc::invalid_manifest,
                          tool.source + ": file_patterns of tool '" + tool.id + "': "
                            + describe(parsed.error()));
      compiled.push_back(std::move(*parsed));
      listed += (listed.empty() ? "" : ", ") + pattern;
    }
    tools += (tools.empty() ? "" : "; ") + tool.id + " (" + listed + ")";
  }
  filter.skip_reason_ = "matches no file pattern of " + tools;
  return filter;
}

bool tool_file_filter::takes(size_t position, std::string_view path) const {
  const auto& patterns = patterns_[position];
  return std::any_of(patterns.begin(), patterns.end(),
                     [path](const glob& pattern) { return pattern.matches(path); });
}

std::vector<size_t> tool_file_filter::tools_for(std::string_view path) const {
  std::vector<size_t> positions;
  for (size_t position = 0; position < patterns_.size(); ++position)
    if (takes(position, path))
      positions.push_back(position);
  return positions;
}

std::vector<std::string> tool_file_filter::files_for(size_t position,
                                                     const std::vector<std::string>& files) const {
  std::vector<std::string> taken;
  std::copy_if(files.begin(), files.end(), std::back_inserter(taken),
               [&](const std::string& file) { return takes(position, file); });
  return taken;
}

} // namespace drover::runtime
