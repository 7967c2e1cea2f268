#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "runtime/job_model.hpp"
#include "runtime/wire_messages.hpp"

namespace drover::actors {

/// Asks a job actor for its current record.
using status_atom = caf::atom_constant<caf::atom("status")>;
/// Asks a coordinator to cancel its job.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// Asks the job manager for every job.
using list_atom = caf::atom_constant<caf::atom("list")>;
/// Asks a coordinator to restore files of its worktree to their base content.
using restore_atom = caf::atom_constant<caf::atom("restore")>;

/// A job to start (sent to the job manager).
struct submit_job {
  runtime::job_spec spec;
};


} // namespace drover::actors

// These travel only between actors of one node. What crosses nodes (leases, reports, offers)
// is in runtime/wire_messages.hpp and goes through the envelope codec.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::submit_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::job_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::job_record>)
