#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace drover::runtime {

/// A git worktree of a user's repository, detached at a fixed base commit, in which a job runs
/// its tools so that the user's own checkout, index and HEAD are never modified. All file paths
/// taken and returned are repository-relative ("src/main.cpp"); the worktree is at root().
/// "Changes" are what `git add -A` would stage in the worktree relative to the base commit:
/// modified and deleted tracked files plus new files that .gitignore does not ignore. They are
/// computed in a scratch index, so the worktree's own index always stays at the base commit.
/// Not thread-safe: one owner (the job's coordinator) calls it at a time. Workspaces on
/// different directories, even of one repository, may be used from different threads.
class workspace {
public:
  /// Receives one selected path; the view is valid during the call only.
  using file_visitor = std::function<void(std::string_view path)>;

  /// Resolves `base_rev` ("" for HEAD) in the repository containing `repo_path` (a work tree,
  /// or a bare repository such as a mirror from runtime::local_repository) to a full
  /// commit sha and checks out a detached worktree at `worktree_dir` (created with its parents
  /// when missing). An existing worktree of the same repository at `worktree_dir` whose HEAD is
  /// that sha is reused with its files as they are (resume after a crash). Returns
  /// not_a_repository naming `repo_path` when it is not in a git work tree; git_failed with
  /// git's message for a revision that names no commit; invalid_argument when `worktree_dir` is
  /// empty, is a non-empty directory that is not such a worktree, or `base_rev` starts with '-'.
  static caf::expected<workspace> create(const std::string& repo_path, const std::string& base_rev,
                                         const std::string& worktree_dir);

  /// Returns the absolute, canonical path of the worktree.
  const std::string& root() const noexcept { return root_; }

  /// Returns the full sha of the base commit.
  const std::string& base_commit() const noexcept { return base_commit_; }

  /// Returns the absolute top-level directory of the user's checkout (the git directory of a
  /// bare repository).
  const std::string& repository() const noexcept { return repository_; }

  /// Calls `visit` for every regular file of the base commit (in git's path order) that
  /// matches at least one of `include_globs` (every file when empty) and none of
  /// `exclude_globs`, streaming `git ls-tree` so that no list of all paths is built. Only files
  /// tracked at the base commit are visited: never ignored or untracked files, symbolic links
  /// or submodules. Glob syntax: runtime/glob.hpp. Returns invalid_argument naming a bad glob.
  caf::error for_each_file(const std::vector<std::string>& include_globs,
                           const std::vector<std::string>& exclude_globs,
                           const file_visitor& visit) const;

  /// Returns the paths for_each_file() visits, sorted.
  caf::expected<std::vector<std::string>>
  select_files(const std::vector<std::string>& include_globs,
               const std::vector<std::string>& exclude_globs) const;

  /// Restores each of `files` in the worktree to its base-commit content and mode, recreating
  /// deleted files (and their directories) and deleting files that did not exist at the base
  /// commit (with directories left empty by that). The content comes from the worktree's own
  /// index, which holds the base commit and is only read, so the cost does not grow with the
  /// size of the repository. Returns invalid_argument, before touching anything, for a path
  /// that is absolute, empty, has a "", ".", ".." or ".git" segment, or names a directory.
  caf::error restore(const std::vector<std::string>& files);

  /// Makes the file `path` of the worktree hold `bytes` (creating its directories), or deletes
  /// it when `bytes` is null: how changes made in another node's worktree arrive here. Writes
  /// to a temporary file renamed over the old one, so a crash leaves the old or the new content.
  /// Returns invalid_argument, touching nothing, for a path restore() refuses or a directory.
  caf::error put_file(const std::string& path, const std::string* bytes);

  /// Returns the sorted paths that differ from the base commit: modified, deleted and new
  /// (not ignored) files.
  caf::expected<std::vector<std::string>> changed_files() const;

  /// Returns a binary-safe patch of all changes against the base commit ("" when there are
  /// none), which `git apply` accepts on a checkout of the base commit.
  caf::expected<std::string> diff() const;

  /// Records all changes as one commit whose parent is the base commit, authored and committed
  /// by "Drover <drover@localhost>" without running hooks or signing, and creates the branch
  /// `branch_name` on it in the user's repository (worktrees share refs). Leaves the worktree
  /// detached at the base commit with its files unchanged. Returns the new commit's sha, or
  /// invalid_argument when `branch_name` is not a valid branch name or the branch exists.
  caf::expected<std::string> commit_to_branch(const std::string& branch_name,
                                              const std::string& message);

  /// Removes the worktree directory with all changes in it and unregisters it from the
  /// repository; branches made by commit_to_branch() stay. Succeeds when it is already gone.
  caf::error remove();

private:
  workspace(std::string repository, std::string root, std::string git_dir, std::string base_commit);

  /// Runs `args` in root() against a scratch index holding every change (`git add -A` on a
  /// copy of the worktree's index) and returns their stdout.
  caf::expected<std::string> run_on_changes(std::vector<std::string> args) const;

  std::string repository_;  ///< top level of the user's checkout
  std::string root_;        ///< the worktree
  std::string git_dir_;     ///< the worktree's private git directory (.git/worktrees/<name>)
  std::string base_commit_; ///< full sha
};

} // namespace drover::runtime
