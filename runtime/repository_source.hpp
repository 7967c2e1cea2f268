#pragma once

#include <string>

#include <caf/expected.hpp>

namespace drover::runtime {

/// Returns true when `repo` names a remote git repository — a URL (https://, ssh://, git://,
/// file://) or scp-like `user@host:path` — rather than a path on this machine.
bool is_repository_url(const std::string& repo);

/// Returns a repository on this machine holding the commits of `repo`: `repo` itself when it is
/// a path; for a URL, a mirror clone under `mirrors_dir` (one per URL), cloned the first time
/// and fetched every later time, so that a new base commit is found. Git asks for no
/// credentials (the URL must be reachable as it is). Returns git_failed with git's message
/// when the clone or fetch fails. Thread-safe for different URLs; two callers mirroring the same
/// URL at once may both fetch, which git serializes by its ref locks.
caf::expected<std::string> local_repository(const std::string& repo, const std::string& mirrors_dir);

} // namespace drover::runtime
