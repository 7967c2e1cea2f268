#pragma once

#include <string>
#include <vector>

namespace drover::runtime::detail {

/// Returns the NULL-terminated array of pointers into `strings` that posix_spawn and exec take
/// for argv and envp. Valid while `strings` is neither changed nor destroyed.
inline std::vector<char*> exec_args(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& text : strings)
    result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

} // namespace drover::runtime::detail
