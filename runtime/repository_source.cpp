#include "runtime/repository_source.hpp"

#include <unistd.h>

#include <filesystem>
#include <regex>

#include "runtime/content_hash.hpp"
#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"

namespace drover::runtime {

namespace fs = std::filesystem;

bool is_repository_url(const std::string& repo) {
  static const std::regex url{R"(^[A-Za-z][A-Za-z0-9+.-]*://.+)"};
  // scp-like: user@host:path, where no '/' comes before the ':' (that would be a path).
  static const std::regex scp_like{R"(^[^/@:]+@[^/:]+:.+)"};
  return std::regex_match(repo, url) || std::regex_match(repo, scp_like);
}

caf::expected<std::string> local_repository(const std::string& repo, const std::string& mirrors_dir) {
  if (!is_repository_url(repo))
    return repo;
  if (repo.front() == '-')
    return make_error(runtime_errc::invalid_argument, "repository URL '" + repo + "' starts with '-'");
  const auto mirror = (fs::path{mirrors_dir} / content_hash(repo)).string() + ".git";
  std::error_code error;
  if (fs::exists(mirror + "/HEAD", error)) {
    if (auto fetched = detail::run_git({"fetch", "--quiet", "--prune", "origin"}, mirror); !fetched)
      return make_error(runtime_errc::git_failed,
                        "cannot fetch " + repo + " into " + mirror + ": " + describe(fetched.error()));
    return mirror;
  }
  fs::create_directories(mirrors_dir, error);
  if (error)
    return make_error(runtime_errc::io_error, "cannot create " + mirrors_dir + ": " + error.message());
  // Cloned beside its final name and renamed, so a crash never leaves half a mirror there.
  const auto partial = mirror + ".partial-" + std::to_string(getpid());
  fs::remove_all(partial, error);
  if (auto cloned = detail::run_git({"clone", "--quiet", "--mirror", "--", repo, partial}, mirrors_dir); !cloned) {
    fs::remove_all(partial, error);
    return make_error(runtime_errc::git_failed, "cannot clone " + repo + ": " + describe(cloned.error()));
  }
  fs::rename(partial, mirror, error);
  if (error && !fs::exists(mirror + "/HEAD")) // another job of this node may have won the race
    return make_error(runtime_errc::io_error, "cannot rename " + partial + " to " + mirror + ": " + error.message());
  fs::remove_all(partial, error);
  return mirror;
}

} // namespace drover::runtime
