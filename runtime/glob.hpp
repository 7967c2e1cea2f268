#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace drover::runtime {

/// A compiled path pattern with gitignore-like semantics, matched against repository-relative
/// paths ("src/util/helper.cpp", no leading slash):
/// - `*` matches any run of characters within one path segment, `?` one character, `[abc]`,
///   `[a-z]` and `[!abc]` (or `[^abc]`) one character of a class; `\x` matches `x` literally.
///   None of them matches `/`.
/// - `**` as a whole segment matches any number of directories: `**/*.cpp` matches at any depth
///   including the top level, `src/**` everything under `src`, `a/**/b` `a/b` and `a/x/y/b`.
///   Elsewhere (`a**b`) it acts like `*`.
/// - A pattern without a slash (`*.py`, `Makefile`) matches the last segment at any depth; a
///   leading slash (`/setup.py`) anchors it to the top level.
/// - A pattern that matches a directory also matches everything under it (`build` matches
///   `build/out.o`); a trailing slash (`build/`) matches only what is under such a directory.
/// Thread-safe: immutable after parse().
class glob {
public:
  /// Compiles `pattern`; returns invalid_argument naming the pattern when it is empty, has an
  /// empty segment (`a//b`), an unterminated `[` class or a trailing lone backslash.
  static caf::expected<glob> parse(std::string_view pattern);

  /// Returns true when the repository-relative `path` matches this pattern.
  bool matches(std::string_view path) const;

  /// Returns the pattern as it was given to parse().
  const std::string& pattern() const noexcept { return pattern_; }

private:
  glob() = default;

  std::string pattern_;
  std::vector<std::string> segments_; ///< "**" matches zero or more whole segments
  /// After the last segment: true accepts only more segments (`dir/`, `dir/**`), false accepts
  /// the end of the path or more segments (a match on a directory covers its contents).
  bool contents_only_ = false;
};

/// Returns true when `path` matches `pattern` (see glob); false when `pattern` is invalid.
/// Compiles the pattern on every call: use glob::parse once to match many paths.
bool glob_match(std::string_view pattern, std::string_view path);

} // namespace drover::runtime
