#pragma once

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/job_model.hpp"

namespace drover::apps {

/// Reads a job request (the body of POST /v1/jobs):
/// {"repo": PATH, "include": [GLOB...], "exclude": [GLOB...], "tools": [ID...], "args": [ARG...],
///  "mode": "advise"|"apply"|"branch", "base": REV, "batch_size": N, "branch": NAME}.
/// "repo", "include" and "tools" are required. An unknown field or a value of the wrong type
/// fails with runtime_errc::invalid_argument naming the field and what was expected.
caf::expected<runtime::job_spec> parse_job_request(const nlohmann::json& request);

/// Writes `spec` as a job request; parse_job_request reads it back.
nlohmann::json to_job_request(const runtime::job_spec& spec);

} // namespace drover::apps
