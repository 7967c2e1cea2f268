#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/workspace.hpp"

namespace drover::actors::detail {

/// Answers an invoker's restore_atom for the worktree `workspace` of job `job_id`: restores
/// `files` to their base content; false (logged) when there is no worktree or git fails.
bool restore_files(std::optional<runtime::workspace>& workspace, const std::string& job_id,
                   const std::vector<std::string>& files);

} // namespace drover::actors::detail
