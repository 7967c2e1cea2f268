#include "apps/job_printer.hpp"

#include <cstdio>
#include <ctime>

namespace drover::apps {

namespace {

std::string local_time(long long unix_ms) {
  const auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string joined(const nlohmann::json& list) {
  std::string text;
  for (const auto& entry : list)
    text += (text.empty() ? "" : ",") + entry.get<std::string>();
  return text;
}

} // namespace

void print_job_report(const nlohmann::json& job) {
  const auto id = job.value("id", "");
  const auto finished = job.value("finished_unix_ms", 0LL);
  const auto end = finished != 0 ? finished : job.value("updated_unix_ms", 0LL);
  const double seconds = static_cast<double>(end - job.value("created_unix_ms", 0LL)) / 1000.0;
  std::printf("job %s %s after %.1f s (%s mode, tools %s)\n", id.c_str(),
              job.value("state", "").c_str(), seconds, job.value("mode", "").c_str(),
              joined(job["tools"]).c_str());
  std::printf("  repo    %s at %s\n", job.value("repo", "").c_str(),
              job.value("base_commit", "").substr(0, 12).c_str());
  std::printf("  files   %llu given to the tools, %llu changed, %llu skipped (taken by no tool)\n"
              "  items   %llu total, %llu done, %llu failed\n",
              job["files"].value("total", 0ULL), job["files"].value("changed", 0ULL),
              job["files"].value("skipped", 0ULL),
              job["items"].value("total", 0ULL), job["items"].value("done", 0ULL),
              job["items"].value("failed", 0ULL));
  if (!job.value("message", "").empty())
    std::printf("  %s\n", job.value("message", "").c_str());
  for (const auto& [tool, stats] : job["tool_stats"].items())
    std::printf("  tool    %s: %llu items kept, %llu invocations, %llu failed attempts, %.1f s\n",
                tool.c_str(), stats.value("items", 0ULL), stats.value("invocations", 0ULL),
                stats.value("failed_attempts", 0ULL),
                static_cast<double>(stats.value("total_ms", 0LL)) / 1000.0);
  for (const auto& failure : job["failures"]) {
    std::printf("  failed  item %llu: %s\n", failure.value("item", 0ULL),
                failure.value("error", "").c_str());
    const auto excerpt = failure.value("stderr", "");
    if (!excerpt.empty())
      std::printf("          stderr: %s\n", excerpt.substr(0, 400).c_str());
  }
  if (!job.value("report", "").empty())
    std::printf("  report  %s\n  patch   %s\n", job.value("report", "").c_str(),
                job.value("patch", "").c_str());
  if (!job.value("branch_commit", "").empty()) {
    const auto branch = job.value("branch", "").empty() ? "drover/" + id : job.value("branch", "");
    std::printf("  branch  %s at %s (git -C %s show --stat %s)\n", branch.c_str(),
                job.value("branch_commit", "").substr(0, 12).c_str(), job.value("repo", "").c_str(),
                branch.c_str());
  }
  if (job.value("applied", false))
    std::printf("  applied to the checkout in %s\n", job.value("repo", "").c_str());
}

void print_job_list(const nlohmann::json& jobs) {
  std::printf("%-26s %-10s %-7s %8s %8s %7s %7s  %-19s  %s\n", "ID", "STATE", "MODE", "FILES",
              "CHANGED", "ITEMS", "FAILED", "CREATED", "TOOLS");
  for (const auto& job : jobs)
    std::printf("%-26s %-10s %-7s %8llu %8llu %7llu %7llu  %-19s  %s\n", job.value("id", "").c_str(),
                job.value("state", "").c_str(), job.value("mode", "").c_str(),
                job["files"].value("total", 0ULL), job["files"].value("changed", 0ULL),
                job["items"].value("total", 0ULL), job["items"].value("failed", 0ULL),
                local_time(job.value("created_unix_ms", 0LL)).c_str(), joined(job["tools"]).c_str());
}

} // namespace drover::apps
