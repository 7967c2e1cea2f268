#include "runtime/job_outcome.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>

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

/// Applies the patch to the user's checkout unless it is there already. `git apply` checks
/// every hunk before it writes anything, so one pass both checks and applies.
caf::error apply_to_checkout(const job_summary& summary, const std::string& patch_path) {
  const auto& repo = summary.job.spec.repo;
  auto uncommitted = uncommitted_paths(repo);
  if (!uncommitted)
    return uncommitted.error();
  std::string dirty;
  for (const auto& change : summary.changes)
    if (uncommitted->count(change.path) > 0)
      dirty += "  " + change.path + "\n";
  if (!dirty.empty()) {
    if (detail::run_git({"apply", "--reverse", "--check", patch_path}, repo))
      return caf::none; // applied before a crash
    return make_error(runtime_errc::invalid_argument,
                      "refusing to apply: files the job changed have uncommitted changes in " + repo + ":\n" + dirty);
  }
  if (auto applied = detail::run_git({"apply", patch_path}, repo); !applied)
    return make_error(runtime_errc::git_failed,
                      "the patch does not apply to the checkout in " + repo + ": " + describe(applied.error()));
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
      if (auto error = apply_to_checkout(*summary, job.patch_path))
        return error;
      job.outcome_applied = true;
    }
  }
  job.message = std::to_string(job.files_changed) + " of " + std::to_string(job.files_total)
                + " files changed";
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
