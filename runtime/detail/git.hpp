#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace drover::runtime::detail {

/// One blocking git invocation: `git -C <cwd> <args...>`.
struct git_command {
  std::vector<std::string> args;
  std::string cwd;
  /// Variables set for this invocation on top of the sanitized environment (see run_git).
  std::vector<std::pair<std::string, std::string>> env = {};
  /// What git reads on stdin (path lists of `--stdin` modes); empty means /dev/null.
  std::string input = {};
};

/// Runs `command` to completion, handing its stdout to `on_stdout` in chunks as they arrive.
/// The child reads `command.input` on stdin and gets the caller's environment minus the variables that
/// redirect git (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, ...), plus GIT_LITERAL_PATHSPECS=1
/// (paths are never globs), GIT_OPTIONAL_LOCKS=0 and GIT_TERMINAL_PROMPT=0, then `command.env`.
/// Returns spawn_failed when git cannot be started, git_failed naming the command, the
/// directory and git's stderr when it exits non-zero. Thread-safe (blocks the caller).
caf::error stream_git(const git_command& command,
                      const std::function<void(std::string_view)>& on_stdout);

/// Runs `command` like stream_git and returns its whole stdout.
caf::expected<std::string> run_git(const git_command& command);

/// Runs `git -C <cwd> <args...>` like stream_git and returns its whole stdout.
caf::expected<std::string> run_git(std::vector<std::string> args, std::string cwd);

/// Returns `text` without trailing newlines (git ends one-line answers with one).
std::string trim_newlines(std::string text);

/// Calls `visit` with each NUL-terminated record of `text` (git's -z output).
template <class Visit>
void for_each_record(std::string_view text, Visit&& visit) {
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\0', start);
    if (end == std::string_view::npos)
      end = text.size();
    visit(text.substr(start, end - start));
    start = end + 1;
  }
}

} // namespace drover::runtime::detail
