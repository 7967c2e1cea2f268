#include "actors/detail/restore_files.hpp"

#include <spdlog/spdlog.h>

#include "runtime/error.hpp"

namespace drover::actors::detail {

bool restore_files(std::optional<runtime::workspace>& workspace, const std::string& job_id,
                   const std::vector<std::string>& files) {
  if (!workspace)
    return false;
  if (auto error = workspace->restore(files)) {
    spdlog::error("job {}: cannot restore files: {}", job_id, runtime::describe(error));
    return false;
  }
  return true;
}

} // namespace drover::actors::detail
