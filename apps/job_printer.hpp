#pragma once

#include <nlohmann/json.hpp>

namespace drover::apps {

/// Prints a job report (GET /v1/jobs/ID/report) for a person: state, counts, per-tool stats,
/// failures with an stderr excerpt, timings and where the report, patch and branch are.
void print_job_report(const nlohmann::json& report);

/// Prints one line per job of a job list (GET /v1/jobs), with a header.
void print_job_list(const nlohmann::json& jobs);

} // namespace drover::apps
