#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/job_model.hpp"
#include "runtime/store.hpp"

namespace drover::runtime {

/// What a job did, gathered from its stored record and item results.
struct job_summary {
  struct tool_stats {
    uint64_t items = 0;       ///< items whose result was kept from this tool
    uint64_t invocations = 0; ///< attempts of this tool, kept or not
    uint64_t failed_attempts = 0;
    int64_t total_ms = 0;
  };
  struct failure {
    uint32_t index = 0;
    std::vector<std::string> files;
    std::string error;
    std::string stderr_excerpt;
  };
  struct change {
    std::string path;
    std::string tool;
    std::string tool_version;
    std::string hash_before;
    std::string hash_after;
    std::string tried_first; ///< tools attempted before the one kept, with their outcomes
  };
  struct skipped_file {
    std::string path;
    std::string reason; ///< why no tool of the chain was given the file
  };

  job_record job;
  std::map<std::string, tool_stats> tools;
  std::map<std::string, uint64_t> items_by_node; ///< recorded items, by the node that ran them
  std::vector<failure> failures;
  std::vector<change> changes; ///< files whose content changed, in path order
  std::vector<skipped_file> skipped; ///< files given to no tool, in path order
  std::string findings;        ///< findings of read-only tools, concatenated (capped)
};

/// Reads job `job_id` and its results from `db`. Fails with not_found for an unknown job.
caf::expected<job_summary> summarize_job(const store& db, const std::string& job_id);

/// Returns the summary as JSON: the job record, per-tool stats, each node's share of the
/// items, failures, changes, skipped files.
nlohmann::json to_json(const job_summary& summary);

/// Returns the job record alone as JSON.
nlohmann::json to_json(const job_record& job);

/// Returns a Markdown report: what ran, what changed and why, what failed.
std::string to_markdown(const job_summary& summary);

/// Returns every job in `db`, newest first.
caf::expected<std::vector<job_record>> list_jobs(const store& db);

} // namespace drover::runtime
