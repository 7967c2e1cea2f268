#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/glob.hpp"
#include "runtime/tool_manifest.hpp"

namespace drover::runtime {

/// Decides which tools of a job's chain are given a file: a tool takes a file when one of its
/// manifest's `file_patterns` matches the file's repository-relative path (runtime/glob.hpp).
/// Tools are named by their position in the chain. Thread-safe: immutable after make().
class tool_file_filter {
public:
  /// Compiles the file patterns of every tool of `chain`. Returns invalid_manifest naming the
  /// tool, its manifest and the pattern when a pattern is not a valid glob.
  static caf::expected<tool_file_filter> make(const std::vector<tool_manifest>& chain);

  /// Returns true when the tool at `position` takes `path`. Precondition: `position` is less
  /// than the chain's length.
  bool takes(size_t position, std::string_view path) const;

  /// Returns the positions of the tools that take `path`, in chain order; empty when none does.
  std::vector<size_t> tools_for(std::string_view path) const;

  /// Returns the files of `files` that the tool at `position` takes, in their order.
  std::vector<std::string> files_for(size_t position, const std::vector<std::string>& files) const;

  /// Returns why a file that no tool of the chain takes is skipped, naming each tool and its
  /// patterns: "matches no file pattern of clang-format (*.c, *.cpp)".
  const std::string& skip_reason() const noexcept { return skip_reason_; }

private:
  tool_file_filter() = default;

  std::vector<std::vector<glob>> patterns_; ///< by position in the chain
  std::string skip_reason_;
};

} // namespace drover::runtime
