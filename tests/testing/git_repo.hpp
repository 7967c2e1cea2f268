#pragma once

#include <map>
#include <string>
#include <vector>

namespace drover::testing {

/// Creates a git repository in `dir` holding `files` (path -> content) in one commit and
/// returns the commit's sha. Throws std::runtime_error when git fails.
std::string make_git_repo(const std::string& dir, const std::map<std::string, std::string>& files);

/// Runs `git -C dir args...` and returns its stdout; throws std::runtime_error when git fails.
std::string git(const std::string& dir, std::vector<std::string> args);

} // namespace drover::testing
