#include "runtime/job_report.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/job_codec.hpp"

namespace drover::runtime {

namespace {

constexpr size_t findings_cap = 64U * 1024U;

/// Skipped files listed in the Markdown report per reason; report.json lists every one.
constexpr size_t markdown_skipped_cap = 1000;

std::string tried_before(const item_result& result) {
  std::string tried;
  for (const auto& attempt : result.attempts)
    if (attempt.tool != result.tool)
      tried += (tried.empty() ? "" : ", ") + attempt.tool + " (" + attempt.outcome + ")";
  return tried;
}

/// Writes the files that no tool was given, grouped by why.
void write_skipped(std::ostream& out, const std::vector<job_summary::skipped_file>& skipped) {
  if (skipped.empty())
    return;
  std::map<std::string, std::vector<const std::string*>> by_reason;
  for (const auto& file : skipped)
    by_reason[file.reason].push_back(&file.path);
  out << "\n## Skipped\n\n" << skipped.size()
      << (skipped.size() == 1 ? " file was" : " files were")
      << " selected by the globs but given to no tool.\n";
  for (const auto& [reason, paths] : by_reason) {
    out << "\nEach " << reason << ":\n\n";
    const auto listed = std::min(paths.size(), markdown_skipped_cap);
    for (size_t i = 0; i < listed; ++i)
      out << "- `" << *paths[i] << "`\n";
    if (listed < paths.size())
      out << "- ... and " << paths.size() - listed << " more (report.json lists every one)\n";
  }
}

} // namespace

caf::expected<job_summary> summarize_job(const store& db, const std::string& job_id) {
  auto stored = db.get(column::jobs, job_id);
  if (!stored)
    return stored.error();
  auto job = decode_job(*stored);
  if (!job)
    return job.error();
  job_summary summary;
  summary.job = std::move(*job);
  caf::error decode_error;
  auto scanned = db.scan(column::results, job_id + "/", [&](std::string_view, std::string_view value) {
    auto result = decode_result(value);
    if (!result) {
      decode_error = result.error();
      return false;
    }
    ++summary.items_by_node[result->node.empty() ? "unknown" : result->node];
    for (const auto& attempt : result->attempts) {
      auto& stats = summary.tools[attempt.tool];
      ++stats.invocations;
      stats.total_ms += attempt.duration_ms;
      if (attempt.outcome != "success" && attempt.outcome != "findings")
        ++stats.failed_attempts;
    }
    if (!result->ok) {
      job_summary::failure failure{result->index, {}, result->error, {}};
      for (const auto& file : result->files)
        failure.files.push_back(file.path);
      if (!result->attempts.empty())
        failure.stderr_excerpt = result->attempts.back().stderr_excerpt;
      summary.failures.push_back(std::move(failure));
      return true;
    }
    ++summary.tools[result->tool].items;
    if (!result->findings.empty() && summary.findings.size() < findings_cap)
      summary.findings += result->findings;
    const auto tried = tried_before(*result);
    for (const auto& file : result->files)
      if (file.changed())
        summary.changes.push_back(
          {file.path, result->tool, result->tool_version, file.hash_before, file.hash_after, tried});
    return true;
  });
  if (scanned)
    return scanned;
  if (decode_error)
    return decode_error;
  const auto prefix = job_id + "/";
  if (auto error = db.scan(column::skipped, prefix, [&](std::string_view key, std::string_view value) {
        summary.skipped.push_back({std::string{key.substr(prefix.size())}, std::string{value}});
        return true;
      }))
    return error;
  std::sort(summary.changes.begin(), summary.changes.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return summary;
}

nlohmann::json to_json(const job_record& job) {
  return {
    {"id", job.id},
    {"state", to_string(job.state)},
    {"repo", job.spec.repo},
    {"base", job.spec.base},
    {"base_commit", job.base_commit},
    {"include", job.spec.include},
    {"exclude", job.spec.exclude},
    {"tools", job.spec.tools},
    {"capability", job.spec.capability},
    {"language", job.spec.language},
    {"tool_ranking", job.spec.tool_ranking},
    {"tool_args", job.spec.tool_args},
    {"mode", to_string(job.spec.mode)},
    {"batch_size", job.spec.batch_size},
    {"branch", job.spec.branch},
    {"created_unix_ms", job.created_unix_ms},
    {"updated_unix_ms", job.updated_unix_ms},
    {"finished_unix_ms", job.finished_unix_ms},
    {"items", {{"total", job.items_total}, {"done", job.items_done}, {"failed", job.items_failed}}},
    {"files", {{"total", job.files_total}, {"changed", job.files_changed}, {"skipped", job.files_skipped}}},
    {"message", job.message},
    {"report", job.report_path},
    {"patch", job.patch_path},
    {"branch_commit", job.branch_commit},
    {"applied", job.outcome_applied},
  };
}

nlohmann::json to_json(const job_summary& summary) {
  auto json = to_json(summary.job);
  auto& tools = json["tool_stats"] = nlohmann::json::object();
  for (const auto& [tool, stats] : summary.tools)
    tools[tool] = {{"items", stats.items},
                   {"invocations", stats.invocations},
                   {"failed_attempts", stats.failed_attempts},
                   {"total_ms", stats.total_ms}};
  json["items_by_node"] = summary.items_by_node;
  auto& failures = json["failures"] = nlohmann::json::array();
  for (const auto& failure : summary.failures)
    failures.push_back({{"item", failure.index},
                        {"files", failure.files},
                        {"error", failure.error},
                        {"stderr", failure.stderr_excerpt}});
  auto& changes = json["changes"] = nlohmann::json::array();
  for (const auto& change : summary.changes)
    changes.push_back({{"path", change.path},
                       {"tool", change.tool},
                       {"tool_version", change.tool_version},
                       {"hash_before", change.hash_before},
                       {"hash_after", change.hash_after},
                       {"tried_first", change.tried_first}});
  auto& skipped = json["skipped"] = nlohmann::json::array();
  for (const auto& file : summary.skipped)
    skipped.push_back({{"path", file.path}, {"reason", file.reason}});
  json["findings"] = summary.findings;
  return json;
}

std::string to_markdown(const job_summary& summary) {
  const auto& job = summary.job;
  std::ostringstream out;
  out << "# Drover job " << job.id << "\n\n"
      << "- repository: `" << job.spec.repo << "` at `" << job.base_commit << "`\n"
      << "- mode: " << to_string(job.spec.mode) << "\n"
      << "- state: " << to_string(job.state) << "\n"
      << "- files: " << job.files_total << " given to the tools, " << job.files_changed
      << " changed, " << job.files_skipped << " skipped (taken by no tool)\n"
      << "- items: " << job.items_total << " (" << job.items_done << " done, " << job.items_failed
      << " failed)\n\n";
  if (!job.spec.capability.empty()) {
    out << "## Tool chain\n\nChosen by search for capability `" << job.spec.capability << "`"
        << (job.spec.language.empty() ? "" : " and language `" + job.spec.language + "`")
        << "; candidates best first:\n\n";
    for (const auto& line : job.spec.tool_ranking)
      out << "- " << line << "\n";
    out << "\n";
  }
  out << "## Tools\n\n| tool | items kept | invocations | failed attempts | time (ms) |\n"
      << "|---|---|---|---|---|\n";
  for (const auto& [tool, stats] : summary.tools)
    out << "| " << tool << " | " << stats.items << " | " << stats.invocations << " | "
        << stats.failed_attempts << " | " << stats.total_ms << " |\n";
  out << "\n## Nodes\n\n| node | items run |\n|---|---|\n";
  for (const auto& [node, items] : summary.items_by_node)
    out << "| " << node << " | " << items << " |\n";
  out << "\n## Changes\n\n";
  if (summary.changes.empty())
    out << "No file changed.\n";
  for (const auto& change : summary.changes) {
    out << "- `" << change.path << "`: " << change.tool << " " << change.tool_version << " ("
        << change.hash_before << " -> " << change.hash_after << ")";
    if (!change.tried_first.empty())
      out << "; tried first: " << change.tried_first;
    out << "\n";
  }
  if (!summary.failures.empty()) {
    out << "\n## Failures\n\n";
    for (const auto& failure : summary.failures) {
      out << "- item " << failure.index << " (" << failure.files.size() << " files, first `"
          << (failure.files.empty() ? "" : failure.files.front()) << "`): " << failure.error << "\n";
      if (!failure.stderr_excerpt.empty())
        out << "\n```\n" << failure.stderr_excerpt << "\n```\n";
    }
  }
  write_skipped(out, summary.skipped);
  if (!summary.findings.empty())
    out << "\n## Findings\n\n```\n" << summary.findings << "\n```\n";
  return out.str();
}

caf::expected<std::vector<job_record>> list_jobs(const store& db) {
  std::vector<job_record> jobs;
  caf::error decode_error;
  auto scanned = db.scan(column::jobs, "", [&](std::string_view, std::string_view value) {
    auto job = decode_job(value);
    if (!job) {
      decode_error = job.error();
      return false;
    }
    jobs.push_back(std::move(*job));
    return true;
  });
  if (scanned)
    return scanned;
  if (decode_error)
    return decode_error;
  std::sort(jobs.begin(), jobs.end(),
            [](const auto& a, const auto& b) { return a.created_unix_ms > b.created_unix_ms; });
  return jobs;
}

} // namespace drover::runtime
