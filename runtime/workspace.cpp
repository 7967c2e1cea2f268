#include "runtime/workspace.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>

#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"
#include "runtime/glob.hpp"

namespace drover::runtime {

namespace fs = std::filesystem;
using detail::git_command;
using detail::for_each_record;
using detail::run_git;
using detail::trim_newlines;

namespace {

constexpr auto npos = std::string_view::npos;

/// Paths per git invocation: far below any ARG_MAX, large enough that 100k paths take ~100.
constexpr size_t max_batch_paths = 1000;
constexpr size_t max_batch_bytes = 64 * 1024;

/// The identity of the commits Drover makes, set through the environment because it wins
/// over the user's configuration and any GIT_AUTHOR_* the caller's environment carries.
const std::vector<std::pair<std::string, std::string>> drover_identity = {
  {"GIT_AUTHOR_NAME", "Drover"},
  {"GIT_AUTHOR_EMAIL", "drover@localhost"},
  {"GIT_COMMITTER_NAME", "Drover"},
  {"GIT_COMMITTER_EMAIL", "drover@localhost"},
};

/// Returns the canonical form of `path` (symbolic links resolved), or `path` as given when the
/// file system cannot tell.
std::string canonical_path(const fs::path& path) {
  std::error_code error;
  auto result = fs::weakly_canonical(path, error);
  return error ? path.string() : result.string();
}

/// Returns the repository's common git directory as seen from `dir`, made canonical so that
/// a worktree and its main checkout compare equal.
caf::expected<std::string> common_git_dir(const std::string& dir) {
  auto answer = run_git({"rev-parse", "--git-common-dir"}, dir);
  if (!answer)
    return answer.error();
  fs::path path = trim_newlines(std::move(*answer));
  return canonical_path(path.is_absolute() ? path : fs::path{dir} / path);
}

/// Returns invalid_argument when `path` is not a plain repository-relative file path.
caf::error check_relative_path(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return make_error(runtime_errc::invalid_argument, "path '" + path + "' " + why);
  };
  if (path.empty())
    return bad("is empty");
  if (path.front() == '/')
    return bad("is absolute; expected a path relative to the repository root");
  for (size_t start = 0; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    const std::string_view segment{path.data() + start, end - start};
    if (segment.empty() || segment == "." || segment == "..")
      return bad("has an empty, '.' or '..' segment");
    if (segment == ".git")
      return bad("is inside .git");
    start = end + 1;
  }
  return {};
}

/// Calls `run` with consecutive batches of `paths`, stopping at the first error.
template <class Run>
caf::error for_each_batch(const std::vector<std::string>& paths, Run&& run) {
  std::vector<std::string> batch;
  size_t bytes = 0;
  for (const auto& path : paths) {
    batch.push_back(path);
    bytes += path.size() + 1;
    if (batch.size() >= max_batch_paths || bytes >= max_batch_bytes) {
      if (auto error = run(batch))
        return error;
      batch.clear();
      bytes = 0;
    }
  }
  return batch.empty() ? caf::error{} : run(batch);
}

/// Compiles `patterns`, naming `field` in the error of a bad one.
caf::expected<std::vector<glob>> compile(const std::vector<std::string>& patterns,
                                         const char* field) {
  std::vector<glob> result;
  for (const auto& pattern : patterns) {
    auto compiled = glob::parse(pattern);
    if (!compiled)
      return make_error(runtime_errc::invalid_argument,
                        std::string{field} + ": " + describe(compiled.error()));
    result.push_back(std::move(*compiled));
  }
  return result;
}

bool any_matches(const std::vector<glob>& globs, std::string_view path) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const glob& pattern) { return pattern.matches(path); });
}

/// Removes the scratch index file when it goes out of scope.
struct scratch_file {
  std::string path;
  ~scratch_file() {
    std::error_code ignored; // a leftover is overwritten by the next use
    fs::remove(path, ignored);
  }
};

} // namespace

workspace::workspace(std::string repository, std::string root, std::string git_dir,
                     std::string base_commit)
  : repository_(std::move(repository))
  , root_(std::move(root))
  , git_dir_(std::move(git_dir))
  , base_commit_(std::move(base_commit)) {}

caf::expected<workspace> workspace::create(const std::string& repo_path,
                                           const std::string& base_rev,
                                           const std::string& worktree_dir) {
  if (repo_path.empty()) // `git -C ""` would silently use the current directory
    return make_error(runtime_errc::not_a_repository, "the repository path is empty");
  auto inside = run_git({"rev-parse", "--is-inside-work-tree", "--is-bare-repository"}, repo_path);
  const auto answers = inside ? trim_newlines(*inside) : std::string{};
  const bool bare = answers == "false\ntrue"; // a mirror of a repository named by URL
  if (answers.rfind("true", 0) != 0 && !bare)
    return make_error(runtime_errc::not_a_repository,
                      repo_path + " is not in a git work tree" +
                        (inside ? std::string{} : " (" + describe(inside.error()) + ")"));
  auto top = run_git({"rev-parse", bare ? "--absolute-git-dir" : "--show-toplevel"}, repo_path);
  if (!top)
    return top.error();
  const auto repository = canonical_path(trim_newlines(std::move(*top)));
  if (!base_rev.empty() && base_rev.front() == '-')
    return make_error(runtime_errc::invalid_argument,
                      "base revision '" + base_rev + "' starts with '-'");
  const auto revision = base_rev.empty() ? std::string{"HEAD"} : base_rev;
  auto resolved = run_git({"rev-parse", "--verify", revision + "^{commit}"}, repository);
  if (!resolved)
    return make_error(runtime_errc::git_failed, "cannot resolve base revision '" + revision +
                                                  "' in " + repository + ": " +
                                                  describe(resolved.error()));
  const auto sha = trim_newlines(std::move(*resolved));

  if (worktree_dir.empty())
    return make_error(runtime_errc::invalid_argument, "the worktree directory is empty");
  std::error_code error;
  auto dir = fs::absolute(worktree_dir, error).lexically_normal();
  if (!dir.has_filename())
    dir = dir.parent_path(); // "wt/" -> "wt"
  const auto status = fs::status(dir, error);
  const bool occupied =
    fs::exists(status) && !(fs::is_directory(status) && fs::is_empty(dir, error));
  if (occupied) {
    // Resume: the directory must be a worktree of this repository, still at the base commit.
    auto not_ours = [&](const std::string& why) {
      return make_error(runtime_errc::invalid_argument,
                        "worktree directory " + dir.string() + " " + why);
    };
    auto its_top = run_git({"rev-parse", "--show-toplevel"}, dir.string());
    auto its_common = common_git_dir(dir.string());
    auto our_common = common_git_dir(repository);
    if (!its_top || canonical_path(trim_newlines(*its_top)) != canonical_path(dir) || !its_common ||
        !our_common || *its_common != *our_common)
      return not_ours("exists, is not empty and is not a worktree of " + repository);
    auto head = run_git({"rev-parse", "HEAD"}, dir.string());
    if (!head)
      return head.error();
    if (trim_newlines(*head) != sha)
      return not_ours("is a worktree at " + trim_newlines(*head) + ", not at the base commit " +
                      sha);
  } else {
    // --force: git refuses a path that a deleted but unpruned worktree still claims.
    auto added = run_git({"worktree", "add", "--force", "--detach", dir.string(), sha}, repository);
    if (!added)
      return added.error();
  }
  const auto root = canonical_path(dir);
  auto git_dir = run_git({"rev-parse", "--absolute-git-dir"}, root);
  if (!git_dir)
    return git_dir.error();
  return workspace{repository, root, trim_newlines(std::move(*git_dir)), sha};
}

caf::error workspace::for_each_file(const std::vector<std::string>& include_globs,
                                    const std::vector<std::string>& exclude_globs,
                                    const file_visitor& visit) const {
  auto includes = compile(include_globs, "include_globs");
  if (!includes)
    return includes.error();
  auto excludes = compile(exclude_globs, "exclude_globs");
  if (!excludes)
    return excludes.error();
  // Records are "<mode> <type> <object>\t<path>\0" and may be split across chunks.
  auto on_record = [&](std::string_view record) {
    const auto tab = record.find('\t');
    if (tab == npos)
      return;
    const auto mode = record.substr(0, record.find(' '));
    if (mode != "100644" && mode != "100755")
      return; // symbolic links (120000) and submodules (160000) are not files to edit
    const auto path = record.substr(tab + 1);
    if ((includes->empty() || any_matches(*includes, path)) && !any_matches(*excludes, path))
      visit(path);
  };
  std::string pending;
  auto on_chunk = [&](std::string_view chunk) {
    pending.append(chunk);
    const auto last = pending.rfind('\0');
    if (last == std::string::npos)
      return;
    for_each_record(std::string_view{pending}.substr(0, last + 1), on_record);
    pending.erase(0, last + 1);
  };
  return detail::stream_git(
    git_command{{"ls-tree", "-r", "-z", "--full-tree", base_commit_}, root_}, on_chunk);
}

caf::expected<std::vector<std::string>>
workspace::select_files(const std::vector<std::string>& include_globs,
                        const std::vector<std::string>& exclude_globs) const {
  std::vector<std::string> result;
  auto collect = [&](std::string_view path) { result.emplace_back(path); };
  if (auto error = for_each_file(include_globs, exclude_globs, collect))
    return error;
  std::sort(result.begin(), result.end());
  return result;
}

caf::error workspace::put_file(const std::string& path, const std::string* bytes) {
  if (auto error = check_relative_path(path))
    return error;
  const auto target = fs::path{root_} / path;
  std::error_code error;
  if (fs::is_directory(fs::symlink_status(target, error)))
    return make_error(runtime_errc::invalid_argument, "path '" + path + "' is a directory");
  if (bytes == nullptr) {
    fs::remove(target, error);
    return error ? make_error(runtime_errc::io_error, "cannot delete " + target.string() + ": " + error.message())
                 : caf::error{};
  }
  fs::create_directories(target.parent_path(), error);
  const auto temporary = target.string() + ".drover-tmp";
  {
    std::ofstream out{temporary, std::ios::binary | std::ios::trunc};
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!out.flush())
      return make_error(runtime_errc::io_error, "cannot write " + temporary);
  }
  // Content travels, the mode does not: the file keeps the mode it has here (base content's).
  const auto mode = fs::status(target, error).permissions();
  if (!error)
    fs::permissions(temporary, mode, error);
  fs::rename(temporary, target, error);
  if (error)
    return make_error(runtime_errc::io_error, "cannot replace " + target.string() + ": " + error.message());
  return {};
}

caf::error workspace::restore(const std::vector<std::string>& files) {
  const std::set<std::string> wanted{files.begin(), files.end()};
  const std::vector<std::string> paths{wanted.begin(), wanted.end()};
  for (const auto& path : paths) {
    if (auto error = check_relative_path(path))
      return error;
    std::error_code ignored; // a missing file is fine: it is recreated or already gone
    if (fs::is_directory(fs::symlink_status(fs::path{root_} / path, ignored)))
      return make_error(runtime_errc::invalid_argument,
                        "path '" + path + "' is a directory; restore takes files");
  }
  std::set<std::string> at_base;
  auto list = [&](const std::vector<std::string>& batch) -> caf::error {
    std::vector<std::string> args = {"ls-tree",     "-r",         "-z", "--name-only",
                                     "--full-tree", base_commit_, "--"};
    args.insert(args.end(), batch.begin(), batch.end());
    auto listed = run_git(std::move(args), root_);
    if (!listed)
      return listed.error();
    // ls-tree also lists files under a pathspec that names a directory: keep exact hits only.
    for_each_record(*listed, [&](std::string_view name) {
      if (auto hit = wanted.find(std::string{name}); hit != wanted.end())
        at_base.insert(*hit);
    });
    return {};
  };
  if (auto error = for_each_batch(paths, list))
    return error;
  std::vector<std::string> created;
  for (const auto& path : paths) {
    if (at_base.count(path) > 0)
      continue;
    // A file the tool created: deleting it must not follow a symbolic link out of the worktree.
    const auto parent = canonical_path((fs::path{root_} / path).parent_path());
    if (parent != root_ && parent.compare(0, root_.size() + 1, root_ + "/") != 0)
      return make_error(runtime_errc::invalid_argument,
                        "path '" + path + "' leads outside the worktree " + root_);
    created.push_back(path);
  }
  // checkout-index writes the worktree index's entries, which are the base commit's, with their
  // mode and git's checkout filters, creating missing directories (and replacing a file or
  // symbolic link in their place); without -u it only reads the index. `git checkout BASE --`
  // would rewrite the whole index, which costs a second on 100,000 files.
  if (!at_base.empty()) {
    git_command check_out{{"checkout-index", "--force", "-z", "--stdin"}, root_};
    for (const auto& path : at_base)
      check_out.input.append(path).push_back('\0');
    if (auto done = run_git(check_out); !done)
      return done.error();
  }
  for (const auto& path : created) {
    std::error_code error;
    fs::remove(fs::path{root_} / path, error);
    if (error)
      return make_error(runtime_errc::io_error,
                        "cannot delete " + path + " in " + root_ + ": " + error.message());
    // Git does not track directories: drop the ones this deletion left empty.
    auto dir = path;
    for (auto slash = dir.rfind('/'); slash != std::string::npos; slash = dir.rfind('/')) {
      dir.resize(slash);
      if (!fs::is_empty(fs::path{root_} / dir, error) || error ||
          !fs::remove(fs::path{root_} / dir, error))
        break;
    }
  }
  return {};
}

caf::expected<std::string> workspace::run_on_changes(std::vector<std::string> args) const {
  const scratch_file index{git_dir_ + "/drover-changes-index"};
  std::error_code error;
  fs::remove(index.path, error);
  // Starting from the worktree's index reuses its cached file stats, so `add -A` reads only
  // the files that changed instead of hashing the whole tree.
  fs::copy_file(git_dir_ + "/index", index.path, error);
  if (error && error != std::errc::no_such_file_or_directory)
    return make_error(runtime_errc::io_error,
                      "cannot copy the index of " + root_ + ": " + error.message());
  // Git trusts a cached stat only for files older than the index file itself ("racy git"):
  // the copy keeps the original's time, or a same-size edit made in the index's second
  // would look unchanged and be missing from the patch.
  if (!error)
    fs::last_write_time(index.path, fs::last_write_time(git_dir_ + "/index"), error);
  if (error && error != std::errc::no_such_file_or_directory)
    return make_error(runtime_errc::io_error,
                      "cannot copy the index of " + root_ + ": " + error.message());
  std::vector<std::pair<std::string, std::string>> env = {{"GIT_INDEX_FILE", index.path}};
  if (auto staged = run_git(git_command{{"add", "-A"}, root_, env}); !staged)
    return staged.error();
  return run_git(git_command{std::move(args), root_, env});
}

caf::expected<std::vector<std::string>> workspace::changed_files() const {
  auto listed =
    run_on_changes({"diff-index", "--cached", "--name-only", "-z", "--no-renames", base_commit_});
  if (!listed)
    return listed.error();
  std::vector<std::string> result;
  for_each_record(*listed, [&](std::string_view path) { result.emplace_back(path); });
  std::sort(result.begin(), result.end());
  return result;
}

caf::expected<std::string> workspace::diff() const {
  // Plumbing ignores diff.* settings of the user (noprefix, external tools, colour); the
  // explicit options pin the rest so that `git apply` always accepts the patch.
  return run_on_changes({"diff-index", "--cached", "--patch", "--binary", "--no-renames",
                         "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/",
                         base_commit_});
}

caf::expected<std::string> workspace::commit_to_branch(const std::string& branch_name,
                                                       const std::string& message) {
  auto invalid = [](const std::string& why) {
    return make_error(runtime_errc::invalid_argument, why);
  };
  if (branch_name.empty() || branch_name.front() == '-' ||
      !run_git({"check-ref-format", "--branch", branch_name}, root_))
    return invalid("'" + branch_name + "' is not a valid branch name");
  if (message.empty())
    return invalid("the commit message for branch '" + branch_name + "' is empty");
  const auto ref = "refs/heads/" + branch_name;
  auto existing = run_git({"for-each-ref", "--format=%(refname)", ref}, root_);
  if (!existing)
    return existing.error();
  // for-each-ref also lists refs below `ref` ("name/sub"): only an exact line is the branch.
  if (("\n" + *existing).find("\n" + ref + "\n") != std::string::npos)
    return invalid("branch '" + branch_name + "' already exists in " + repository_);
  auto tree = run_on_changes({"write-tree"});
  if (!tree)
    return tree.error();
  // commit-tree and update-ref instead of `git commit`: no hooks, no signing prompt, and the
  // worktree's HEAD stays at the base commit, which a resumed job relies on.
  auto commit = run_git(git_command{
    {"commit-tree", "--no-gpg-sign", trim_newlines(*tree), "-p", base_commit_, "-m", message},
    root_,
    drover_identity});
  if (!commit)
    return commit.error();
  auto sha = trim_newlines(std::move(*commit));
  // The empty old value makes the creation atomic: it fails if the branch appeared meanwhile.
  auto created = run_git({"update-ref", "-m", "drover: " + branch_name, ref, sha, ""}, root_);
  if (!created)
    return created.error();
  return sha;
}

caf::error workspace::remove() {
  auto removed = run_git({"worktree", "remove", "--force", root_}, repository_);
  std::error_code error;
  if (!removed && fs::exists(root_, error))
    return removed.error();
  if (fs::exists(git_dir_, error)) {
    // The directory was deleted behind git's back; prune only touches worktrees whose
    // directories are missing, ours among them.
    auto pruned = run_git({"worktree", "prune"}, repository_);
    if (!pruned)
      return pruned.error();
  }
  return {};
}

} // namespace drover::runtime
