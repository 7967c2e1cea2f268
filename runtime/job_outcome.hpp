#pragma once

#include <string>

#include <caf/expected.hpp>

#include "runtime/job_model.hpp"
#include "runtime/store.hpp"
#include "runtime/workspace.hpp"

namespace drover::runtime {

/// Assembles the outcome of a job whose items are all recorded, in a fixed order: report.json
/// and report.md, then change.patch (against the base commit) in `job_dir`; then, only when
/// every item succeeded, the mode's effect: `branch` commits on spec.branch (default
/// drover/JOB), `apply` writes the changes into the user's checkout (copying the changed files
/// when the checkout still holds them as at the base commit, else applying the patch), refusing
/// when any file it touches has uncommitted changes there. Each effect is applied once: run
/// again after a crash it finds the branch or the changes written and finishes instead of
/// applying them twice.
/// Returns `job` with the paths, the branch commit and the summary message filled in.
caf::expected<job_record> write_outcome(const store& db, workspace& work, job_record job,
                                        const std::string& job_dir);

} // namespace drover::runtime
