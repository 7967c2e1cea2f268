#include "apps/codemod.hpp"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/commands.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"

namespace drover::apps {

namespace {

using runtime::make_error;
using runtime::runtime_errc;

/// One file to rewrite: the path the user gave, the file it resolves to (symbolic links are
/// followed so that the link itself survives), its mode and its new content.
struct file_job {
  std::string given;
  std::string resolved;
  mode_t mode = 0;
  uid_t owner = 0;
  gid_t group = 0;
  std::string before;
  rewrite_result after;
};

std::string errno_text() {
  return std::strerror(errno);
}

/// Returns `name` with '\\', ',', '\t' and '\n' escaped by a backslash, so that a log line
/// stays one line of comma-separated names whatever the file names are.
std::string escape_log_name(const std::string& name) {
  std::string escaped;
  for (char c : name) {
    switch (c) {
      case '\\': escaped += "\\\\"; break;
      case ',': escaped += "\\,"; break;
      case '\t': escaped += "\\t"; break;
      case '\n': escaped += "\\n"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

/// Appends one line for this invocation with a single write(2) on an O_APPEND descriptor:
/// concurrent invocations then never interleave their lines.
caf::error append_log_line(const std::string& log_file, const std::vector<std::string>& files) {
  std::string line =
    std::to_string(::getpid()) + "\t" + std::to_string(runtime::unix_now_ms()) + "\t";
  for (size_t i = 0; i < files.size(); ++i)
    line += (i == 0 ? "" : ",") + escape_log_name(files[i]);
  line += '\n';
  const int fd = ::open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(runtime_errc::invalid_argument,
                      "--log " + log_file + ": cannot open for appending: " + errno_text());
  ssize_t written = 0;
  do
    written = ::write(fd, line.data(), line.size());
  while (written < 0 && errno == EINTR);
  const auto write_error = errno_text();
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size()))
    return make_error(runtime_errc::io_error,
                      "--log " + log_file + ": cannot append: "
                        + (written < 0 ? write_error : std::string{"short write"}));
  return caf::none;
}

/// Reads the regular file `job.given` (through symbolic links) into `job`.
caf::error read_job(file_job& job) {
  char resolved[PATH_MAX];
  if (::realpath(job.given.c_str(), resolved) == nullptr)
    return make_error(runtime_errc::not_found, job.given + ": cannot read: " + errno_text());
  job.resolved = resolved;
  const int fd = ::open(resolved, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(runtime_errc::io_error, job.given + ": cannot read: " + errno_text());
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return make_error(runtime_errc::invalid_argument, job.given + ": expected a regular file");
  }
  job.mode = info.st_mode & 07777;
  job.owner = info.st_uid;
  job.group = info.st_gid;
  char buffer[65536];
  for (;;) {
    const ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR)
      continue;
    if (count < 0) {
      const auto error = errno_text();
      ::close(fd);
      return make_error(runtime_errc::io_error, job.given + ": cannot read: " + error);
    }
    if (count == 0)
      break;
    job.before.append(buffer, static_cast<size_t>(count));
  }
  ::close(fd);
  return caf::none;
}

/// Writes all of `content` to `fd`.
bool write_all(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t count = ::write(fd, content.data() + done, content.size() - done);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
      return false;
    done += static_cast<size_t>(count);
  }
  return true;
}

/// Replaces `job.resolved` with its new content: a temporary file in the same directory (so
/// that rename(2) is atomic) gets the content and the original mode, is synced, then renamed
/// over the original. Readers see the old or the new file, never a partial one.
caf::error replace_file(const file_job& job) {
  const auto slash = job.resolved.rfind('/');
  const auto directory = job.resolved.substr(0, slash + 1);
  auto name = directory + "." + job.resolved.substr(slash + 1) + ".drover-codemod-XXXXXX";
  std::vector<char> temp{name.begin(), name.end()};
  temp.push_back('\0');
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0)
    return make_error(runtime_errc::io_error,
                      job.given + ": cannot create a temporary file in " + directory + ": " + errno_text());
  bool ok = write_all(fd, job.after.content);
  if (ok && ::fchown(fd, job.owner, job.group) != 0) {
    // Deliberately ignored: only root may give a file to another owner, and as anyone else
    // the original owner is us anyway. Before fchmod, since chown clears set-user-ID bits.
  }
  ok = ok && ::fchmod(fd, job.mode) == 0 && ::fsync(fd) == 0;
  const auto error = errno_text();
  ::close(fd);
  if (ok && ::rename(temp.data(), job.resolved.c_str()) == 0)
    return caf::none;
  const auto rename_error = ok ? errno_text() : error;
  ::unlink(temp.data());
  return make_error(runtime_errc::io_error, job.given + ": cannot write: " + rename_error);
}

int fail_with(int status, const caf::error& error) {
  std::fprintf(stderr, "drover codemod: %s\n", runtime::describe(error).c_str());
  return status;
}

} // namespace

caf::expected<codemod_rule> make_codemod_rule(const codemod_options& options) {
  if (options.literal.has_value() == options.regex.has_value())
    return make_error(runtime_errc::invalid_argument,
                      "expected exactly one of --literal FROM or --regex PATTERN");
  if (!options.to)
    return make_error(runtime_errc::invalid_argument,
                      "--to: missing, expected the replacement (--to '' deletes the matches)");
  if (options.files.empty())
    return make_error(runtime_errc::invalid_argument, "expected at least one file to rewrite");
  codemod_rule rule;
  rule.replacement = *options.to;
  if (options.literal) {
    if (options.literal->empty())
      return make_error(runtime_errc::invalid_argument, "--literal: expected a non-empty text to replace");
    rule.from = *options.literal;
    return rule;
  }
  rule.from = *options.regex;
  try {
    rule.regex.emplace(rule.from, std::regex::ECMAScript | std::regex::multiline);
  } catch (const std::regex_error& error) {
    return make_error(runtime_errc::invalid_argument, "--regex '" + rule.from
                                                        + "': expected an ECMAScript regular expression: "
                                                        + error.what());
  }
  return rule;
}

caf::expected<rewrite_result> rewrite_content(const codemod_rule& rule, const std::string& content) {
  rewrite_result result;
  if (!rule.regex) {
    size_t last = 0;
    for (auto at = content.find(rule.from); at != std::string::npos; at = content.find(rule.from, last)) {
      result.content.append(content, last, at - last);
      result.content += rule.replacement;
      last = at + rule.from.size();
      ++result.replacements;
    }
    result.content.append(content, last, std::string::npos);
    return result;
  }
  try {
    auto last = content.cbegin();
    for (std::sregex_iterator it{content.cbegin(), content.cend(), *rule.regex}, end; it != end; ++it) {
      const auto& match = *it;
      result.content.append(last, match[0].first);
      result.content += match.format(rule.replacement);
      last = match[0].second;
      ++result.replacements;
    }
    result.content.append(last, content.cend());
  } catch (const std::regex_error& error) {
    return make_error(runtime_errc::invalid_argument,
                      "--regex '" + rule.from + "': the regex engine gave up: " + error.what());
  }
  return result;
}

int run_codemod(const codemod_options& options) {
  auto rule = make_codemod_rule(options);
  if (!rule)
    return fail_with(exit_usage, rule.error());
  auto log_file = options.log_file ? options.log_file : runtime::process_env("DROVER_CODEMOD_LOG");
  if (log_file && !log_file->empty())
    if (auto error = append_log_line(*log_file, options.files))
      return fail_with(exit_usage, error);
  // Read and rewrite everything in memory first: a bad file then leaves every file untouched.
  std::vector<file_job> jobs;
  std::set<std::string> seen;
  for (const auto& given : options.files) {
    file_job job;
    job.given = given;
    if (auto error = read_job(job))
      return fail_with(exit_usage, error);
    if (!seen.insert(job.resolved).second)
      continue;
    auto after = rewrite_content(*rule, job.before);
    if (!after)
      return fail_with(exit_usage, after.error());
    job.after = std::move(*after);
    jobs.push_back(std::move(job));
  }
  for (const auto& job : jobs) {
    const bool changed = job.after.content != job.before;
    if (changed)
      if (auto error = replace_file(job))
        return fail_with(exit_failure, error);
    if (options.verbose)
      std::printf("%s: %zu replacement%s%s\n", job.given.c_str(), job.after.replacements,
                  job.after.replacements == 1 ? "" : "s", changed ? "" : ", unchanged");
  }
  return exit_ok;
}

} // namespace drover::apps
