#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace drover::apps {

/// The shape of the repository generate_sample_repo() makes.
struct sample_repo_options {
  uint32_t files = 3000;        ///< tracked files in all, README.md and dotfiles included
  uint64_t seed = 1;            ///< the same seed and options give the same tree, byte for byte
  uint32_t legacy_percent = 30; ///< share of each language's files that call legacy_log
  uint32_t drift_percent = 25;  ///< share of the C++ files that drift from .clang-format
};

/// The language of a generated file; `other` is README.md and the dotfiles.
enum class sample_language : uint8_t { cpp, python, shell, other };

/// One tracked file of the sample repository.
struct sample_file {
  std::string path; ///< repository-relative, e.g. "src/net/frame_cache.cpp"
  sample_language language = sample_language::other;
  bool calls_legacy = false; ///< calls the deprecated `legacy_log(` (shell: `legacy_log `)
  bool drifts = false;       ///< C++ only: indentation, trailing spaces or braces that
                             ///< clang-format with the repository's .clang-format would change
};

/// The name of the deprecated function the sample repository calls.
inline constexpr const char* sample_legacy_function = "legacy_log";

/// The name of its replacement, which the files that are already migrated call.
inline constexpr const char* sample_new_function = "log_event";

/// Returns the tracked files generate_sample_repo() writes for `options`, in the order it writes
/// them: about 50% C++ (.hpp/.cpp pairs under src/MODULE/), 35% Python (tools/PACKAGE/) and 15%
/// shell (scripts/AREA/), then README.md, .gitignore and .clang-format. Exactly
/// legacy_percent% (rounded down) of each language's files call the deprecated function and
/// drift_percent% of the C++ files drift. Returns invalid_argument when `files` is below 10 or
/// a percentage above 100.
caf::expected<std::vector<sample_file>> plan_sample_repo(const sample_repo_options& options);

/// Creates a git repository in `dir` (made with its parents; it must not exist or be empty)
/// holding the files of plan_sample_repo(options) in one commit on branch `main`, authored by
/// "Drover Demo <demo@localhost>" at a fixed date, so that the same options give the same commit
/// sha. Also writes build/, which .gitignore excludes and whose files call the deprecated
/// function too: a tool that touches them touched files it must not. Deterministic (seeded
/// PRNG, no clock); runs git twice in all (`add -A`, `commit`) after `init`. Returns
/// invalid_argument for bad options or a non-empty `dir`, io_error when a file cannot be
/// written, spawn_failed or git_failed when git cannot be run or fails. Thread-safe.
caf::error generate_sample_repo(const std::string& dir, const sample_repo_options& options);

} // namespace drover::apps
