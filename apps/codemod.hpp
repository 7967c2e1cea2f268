#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/detail/regex.hpp"

namespace drover::apps {

/// The options of `drover codemod`, as given on the command line.
struct codemod_options {
  std::optional<std::string> literal;  ///< --literal FROM: replace this exact text
  std::optional<std::string> regex;    ///< --regex PATTERN: ECMAScript, ^ and $ match per line
  std::optional<std::string> to;       ///< --to TO: the replacement ($1, $&, $$ with --regex)
  std::vector<std::string> files;      ///< the files to rewrite (positional)
  std::optional<std::string> log_file; ///< --log FILE; DROVER_CODEMOD_LOG when not given
  bool verbose = false;                ///< --verbose: print what changed in each file
};

/// A validated search/replace rule. A plain value: safe to share between threads read-only.
struct codemod_rule {
  std::string from;        ///< the literal text or the regex source
  std::string replacement; ///< literal text, or an ECMAScript format string for a regex
  std::optional<std::regex> regex; ///< set for --regex
};

/// The content of one file after a rule was applied to it.
struct rewrite_result {
  std::string content;
  size_t replacements = 0;
};

/// Checks `options` (exactly one of --literal and --regex, a non-empty --literal, a regex
/// that compiles, --to given, at least one file) and compiles the rule. Fails with
/// runtime_errc::invalid_argument naming the option and what was expected.
caf::expected<codemod_rule> make_codemod_rule(const codemod_options& options);

/// Replaces every non-overlapping match of `rule` in `content`, left to right. Fails with
/// runtime_errc::invalid_argument when the regex engine gives up on the input.
caf::expected<rewrite_result> rewrite_content(const codemod_rule& rule, const std::string& content);

/// Runs `drover codemod`: appends "PID<TAB>UNIX_MS<TAB>FILE,FILE,...\n" to the log file (when
/// one is set) with one O_APPEND write, reads every file and applies the rule, then replaces
/// each changed file atomically (a temporary file in the same directory, renamed over it, with
/// the original mode). Files are read before any is written, so a bad option or an unreadable
/// file changes nothing. Returns 0 when done (changed or not), 2 on a bad option, an unusable
/// log file or an unreadable file, 1 when a file cannot be written. Prints nothing on success
/// unless `verbose`; errors go to stderr.
int run_codemod(const codemod_options& options);

} // namespace drover::apps
