#include "runtime/job_outcome.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>

#include "runtime/content_hash.hpp"
#include "runtime/detail/git.hpp"
#include "runtime/error.hpp"
#include "runtime/job_report.hpp"

namespace drover::runtime {

namespace {

caf::error write_text(const std::string& path, const std::string& text) {
  const auto temporary = path + ".tmp";
  {
    std::ofstream out{temporary, std::ios::binary | std::ios::trunc};
    out << text;
    if (!out.flush())
      return make_error(runtime_errc::io_error, "cannot write " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    return make_error(runtime_errc::io_error, "cannot write " + path + ": " + error.message());
  return caf::none;
}

std::string commit_message(const job_summary& summary) {
  const auto& job = summary.job;
  std::string message = "drover: ";
  for (size_t i = 0; i < job.spec.tools.size(); ++i)
    message += (i == 0 ? "" : ", ") + job.spec.tools[i];
  message += " over " + std::to_string(job.files_total) + " files (job " + job.id + ")\n\n";
  for (const auto& [tool, stats] : summary.tools)
    if (stats.items > 0)
      message += "Tool: " + tool + " (kept for " + std::to_string(stats.items) + " items)\n";
  message += "Files changed: " + std::to_string(summary.changes.size()) + "\n";
  message += "Why: the job asked for";
  for (const auto& glob : job.spec.include)
    message += " " + glob;
  message += " to be processed by the tool chain above; every change is listed with its\n"
             "tool, version and content hashes in the job's report.\n\n";
  for (const auto& change : summary.changes)
    message += "  " + change.path + " (" + change.tool + " " + change.tool_version + ")\n";
  return message;
}

/// Commits the changes on the job's branch, or finds that an earlier run already did.
caf::expected<std::string> make_branch(workspace& work, const job_summary& summary) {
  const auto& job = summary.job;
  const auto branch = job.spec.branch.empty() ? "drover/" + job.id : job.spec.branch;
  auto existing = detail::run_git({"rev-parse", "--verify", "--quiet", "refs/heads/" + branch + "^{commit}"},
                                  job.spec.repo);
  if (existing) {
    // Made by this job before a crash if its parent is our base commit.
    auto parent = detail::run_git({"rev-parse", branch + "^"}, job.spec.repo);
    if (parent && detail::trim_newlines(*parent) == job.base_commit)
      return detail::trim_newlines(*existing);
    return make_error(runtime_errc::invalid_argument,
                      "branch " + branch + " already exists in " + job.spec.repo);
  }
  return work.commit_to_branch(branch, commit_message(summary));
}

/// Returns the paths of `repo` with changes not committed (staged or not; untracked files do
/// not count). One `git status` without pathspecs: matching thousands of them costs seconds.
caf::expected<std::set<std::string>> uncommitted_paths(const std::string& repo) {
  auto listed =
    detail::run_git({"status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames"}, repo);
  if (!listed)
    return listed.error();
  std::set<std::string> paths;
  detail::for_each_record(*listed, [&](std::string_view record) {
    if (record.size() > 3) // "XY PATH"
      paths.emplace(record.substr(3));
  });
  return paths;
}

/// Writes `from`'s content and mode over `to` through a file next to it that is renamed in
/// place, so that `to` is never seen half-written.
caf::error write_over(const std::string& from, const std::string& to) {
  const auto temporary = to + ".drover-tmp";
  std::error_code error;
  std::filesystem::copy_file(from, temporary, std::filesystem::copy_options::overwrite_existing, error);
  if (!error)
    std::filesystem::rename(temporary, to, error);
  if (!error)
    return caf::none;
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  return make_error(runtime_errc::io_error, "cannot write " + to + ": " + error.message());
}

/// Returns the number of files `patch` changes (its "diff --git" headers).
size_t files_in_patch(std::string_view patch) {
  constexpr std::string_view header = "diff --git ";
  size_t count = patch.substr(0, header.size()) == header ? 1 : 0;
  for (auto at = patch.find("\ndiff --git "); at != std::string_view::npos; at = patch.find("\ndiff --git ", at + 1))
    ++count;
  return count;
}

/// Returns the refusal of an apply over files with uncommitted changes, listed in `dirty`.
caf::error uncommitted_changes(const std::string& repo, const std::string& dirty) {
  return make_error(runtime_errc::invalid_argument,
                    "refusing to apply: files the job changed have uncommitted changes in " + repo + ":\n" + dirty);
}

/// Applies the patch to the user's checkout with `git apply`, which checks every hunk before it
/// writes anything, unless it was applied before a crash.
caf::error apply_patch(const job_summary& summary, const std::set<std::string>& uncommitted,
                       const std::string& patch_path) {
  const auto& repo = summary.job.spec.repo;
  std::string dirty;
  for (const auto& change : summary.changes)
    if (uncommitted.count(change.path) > 0)
      dirty += "  " + change.path + "\n";
  if (!dirty.empty()) {
    if (detail::run_git({"apply", "--reverse", "--check", patch_path}, repo))
      return caf::none; // applied before a crash
    return uncommitted_changes(repo, dirty);
  }
  if (auto applied = detail::run_git({"apply", patch_path}, repo); !applied)
    return make_error(runtime_errc::git_failed,
                      "the patch does not apply to the checkout in " + repo + ": " + describe(applied.error()));
  return caf::none;
}

/// Writes the job's changes into the user's checkout unless they are there already. When the
/// patch holds just the recorded changes and each changed file of the checkout still holds its
/// content at the base commit, without uncommitted changes, the job's version of each is copied
/// from the worktree: git apply of the 48 MB patch of a 4,000-header clang-format run took
/// seconds. A file already holding the job's version was written before a crash. Otherwise
/// (files the user changed by committing since the base commit, files a tool added beside its
/// own, a symbolic link) the patch is applied.
caf::error apply_to_checkout(const job_summary& summary, const workspace& work, const std::string& patch_path,
                             size_t patched_files) {
  namespace fs = std::filesystem;
  const auto& repo = summary.job.spec.repo;
  auto uncommitted = uncommitted_paths(repo);
  if (!uncommitted)
    return uncommitted.error();
  if (patched_files != summary.changes.size())
    return apply_patch(summary, *uncommitted, patch_path);
  std::vector<const job_summary::change*> to_write;
  size_t written_before = 0;
  std::string dirty;
  std::string not_copyable; // moved on since the base commit, or not a regular file in the worktree
  for (const auto& change : summary.changes) {
    auto hash = hash_file(repo + "/" + change.path); // none: missing, as after a deletion
    const auto now = hash ? *hash : std::string{};
    std::error_code ignored;
    if (now == change.hash_after)
      ++written_before;
    else if (uncommitted->count(change.path) > 0)
      dirty += "  " + change.path + "\n";
    else if (now != change.hash_before
             || (!change.hash_after.empty()
                 && !fs::is_regular_file(fs::symlink_status(work.root() + "/" + change.path, ignored))))
      not_copyable += " " + change.path;
    else
      to_write.push_back(&change);
  }
  if (!dirty.empty())
    return uncommitted_changes(repo, dirty);
  if (!not_copyable.empty()) {
    if (written_before == 0)
      return apply_patch(summary, *uncommitted, patch_path);
    return make_error(runtime_errc::invalid_argument,
                      "refusing to apply the rest of the job: part of it was written into " + repo
                        + " before the node stopped, and these files moved on since the base commit:"
                        + not_copyable + "; apply " + patch_path + " by hand");
  }
  for (const auto* change : to_write) {
    const auto target = repo + "/" + change->path;
    if (!change->hash_after.empty()) {
      if (auto failed = write_over(work.root() + "/" + change->path, target))
        return failed;
      continue;
    }
    std::error_code error; // the tool deleted it
    if (fs::remove(target, error); error)
      return make_error(runtime_errc::io_error, "cannot remove " + target + ": " + error.message());
  }
  return caf::none;
}

} // namespace

caf::expected<job_record> write_outcome(const store& db, workspace& work, job_record job,
                                        const std::string& job_dir) {
  std::error_code mkdir_error;
  std::filesystem::create_directories(job_dir, mkdir_error);
  auto summary = summarize_job(db, job.id);
  if (!summary)
    return summary.error();
  summary->job = job;
  job.report_path = job_dir + "/report.md";
  job.patch_path = job_dir + "/change.patch";
  auto patch = work.diff();
  if (!patch)
    return patch.error();
  if (auto error = write_text(job.patch_path, *patch))
    return error;
  const bool complete = job.items_failed == 0;
  if (complete && !summary->changes.empty()) {
    if (job.spec.mode == job_mode::branch) {
      auto commit = make_branch(work, *summary);
      if (!commit)
        return commit.error();
      job.branch_commit = *commit;
    } else if (job.spec.mode == job_mode::apply) {
      if (auto error = apply_to_checkout(*summary, work, job.patch_path, files_in_patch(*patch)))
        return error;
      job.outcome_applied = true;
    }
  }
  job.message = std::to_string(job.files_changed) + " of " + std::to_string(job.files_total)
                + " files changed";
  if (job.files_skipped > 0)
    job.message += "; " + std::to_string(job.files_skipped) + " skipped (no tool of the chain takes them)";
  if (!complete)
    job.message += "; " + std::to_string(job.items_failed) + " of " + std::to_string(job.items_total)
                   + " items failed, so no " + (job.spec.mode == job_mode::advise ? "outcome" : to_string(job.spec.mode))
                   + " was made beyond the report and the patch";
  job.state = complete ? job_state::succeeded : job_state::failed;
  summary->job = job;
  if (auto error = write_text(job_dir + "/report.json", to_json(*summary).dump(2) + "\n"))
    return error;
  if (auto error = write_text(job.report_path, to_markdown(*summary)))
    return error;
  return job;
}

} // namespace drover::runtime
