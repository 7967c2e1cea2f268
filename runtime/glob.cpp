#include "runtime/glob.hpp"

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

constexpr auto npos = std::string_view::npos;
constexpr std::string_view any_directories = "**";

/// Returns the index just past the `]` closing the class that opens at `open`, or npos.
size_t class_end(std::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^'))
    ++i;
  if (i < pattern.size() && pattern[i] == ']')
    ++i; // a `]` right after the opening is a member, not the end
  while (i < pattern.size() && pattern[i] != ']')
    i += pattern[i] == '\\' ? 2 : 1;
  return i < pattern.size() ? i + 1 : npos;
}

/// Returns true when `ch` is in the class spanning [open, end) of `pattern`.
bool class_contains(std::string_view pattern, size_t open, size_t end, char ch) {
  const size_t close = end - 1;
  size_t i = open + 1;
  const bool negated = pattern[i] == '!' || pattern[i] == '^';
  if (negated)
    ++i;
  const auto c = static_cast<unsigned char>(ch);
  bool found = false;
  while (i < close) {
    if (pattern[i] == '\\' && i + 1 < close)
      ++i;
    const auto low = static_cast<unsigned char>(pattern[i++]);
    auto high = low;
    if (i + 1 < close && pattern[i] == '-') {
      i += pattern[i + 1] == '\\' && i + 2 < close ? 2 : 1;
      high = static_cast<unsigned char>(pattern[i++]);
    }
    found = found || (low <= c && c <= high);
  }
  return found != negated;
}

/// Matches `ch` against the token of `pattern` at `at` (not `*`) and moves `at` past it.
bool match_token(std::string_view pattern, size_t& at, char ch) {
  switch (pattern[at]) {
    case '?':
      ++at;
      return true;
    case '[': {
      const auto end = class_end(pattern, at);
      if (end == npos) { // parse() rejects this; glob_match treats it literally
        ++at;
        return ch == '[';
      }
      const bool found = class_contains(pattern, at, end, ch);
      at = end;
      return found;
    }
    case '\\':
      if (at + 1 < pattern.size()) {
        at += 2;
        return pattern[at - 1] == ch;
      }
      ++at;
      return ch == '\\';
    default:
      return pattern[at++] == ch;
  }
}

/// Matches one path segment against one pattern segment (neither contains `/`). Classic
/// wildcard matching with a single backtrack point: linear in practice, never exponential.
bool match_segment(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star_p = npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*')
        ++p;
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      size_t next = p;
      if (match_token(pattern, next, text[t])) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == npos)
      return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

/// Returns what is wrong with a pattern segment, or "" when it is well-formed.
std::string check_segment(std::string_view segment) {
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '\\') {
      if (i + 1 == segment.size())
        return "it ends with a lone backslash";
      ++i;
    } else if (segment[i] == '[') {
      const auto end = class_end(segment, i);
      if (end == npos)
        return "'[' opens a character class that is never closed";
      i = end - 1;
    }
  }
  return {};
}

/// Returns the start of the path segment after the one starting at `at`, or npos.
size_t next_segment(std::string_view path, size_t at) {
  const auto slash = path.find('/', at);
  return slash == npos ? npos : slash + 1;
}

/// Returns the path segment starting at `at`.
std::string_view segment_at(std::string_view path, size_t at) {
  const auto slash = path.find('/', at);
  return path.substr(at, slash == npos ? npos : slash - at);
}

} // namespace

caf::expected<glob> glob::parse(std::string_view pattern) {
  auto invalid = [&](const std::string& why) {
    return make_error(runtime_errc::invalid_argument,
                      "invalid glob '" + std::string{pattern} + "': " + why);
  };
  auto body = pattern;
  const bool anchored = !body.empty() && body.front() == '/';
  if (anchored)
    body.remove_prefix(1);
  bool contents_only = !body.empty() && body.back() == '/';
  if (contents_only)
    body.remove_suffix(1);
  if (body.empty())
    return invalid("it names no path");
  glob result;
  result.pattern_ = std::string{pattern};
  for (size_t at = 0;;) {
    const auto slash = body.find('/', at);
    const auto segment = body.substr(at, slash == npos ? npos : slash - at);
    if (segment.empty())
      return invalid("it has an empty path segment");
    if (auto problem = check_segment(segment); !problem.empty())
      return invalid(problem);
    const bool repeated = segment == any_directories && !result.segments_.empty() &&
                          result.segments_.back() == any_directories;
    if (!repeated)
      result.segments_.emplace_back(segment);
    if (slash == npos)
      break;
    at = slash + 1;
  }
  // Like gitignore: a pattern without an inner slash matches at any depth.
  if (!anchored && result.segments_.size() == 1 && result.segments_[0] != any_directories)
    result.segments_.insert(result.segments_.begin(), std::string{any_directories});
  if (result.segments_.back() == any_directories) {
    result.segments_.pop_back();
    contents_only = true;
  }
  result.contents_only_ = contents_only;
  return result;
}

bool glob::matches(std::string_view path) const {
  // The segment-level twin of match_segment: "**" plays the role of `*`, one path segment
  // the role of one character.
  const size_t count = segments_.size();
  size_t p = 0;
  size_t s = path.empty() ? npos : 0;
  size_t star_p = npos;
  size_t star_s = 0;
  while (s != npos) {
    if (p < count && segments_[p] == any_directories) {
      star_p = ++p;
      star_s = s;
      continue;
    }
    if (p < count && match_segment(segments_[p], segment_at(path, s))) {
      ++p;
      s = next_segment(path, s);
      continue;
    }
    if (p == count)
      return true; // every segment matched a directory: the rest is under it
    if (star_p == npos)
      return false;
    p = star_p;
    star_s = next_segment(path, star_s);
    s = star_s;
  }
  while (p < count && segments_[p] == any_directories)
    ++p;
  return p == count && !contents_only_;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  auto compiled = glob::parse(pattern);
  return compiled && compiled->matches(path);
}

} // namespace drover::runtime
