#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "runtime/job_model.hpp"

namespace drover::actors {

/// An invoker asks its coordinator for the next work item.
using pull_atom = caf::atom_constant<caf::atom("pull")>;
/// Asks a job actor for its current record.
using status_atom = caf::atom_constant<caf::atom("status")>;
/// Asks a coordinator to cancel its job.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// Asks the job manager for every job.
using list_atom = caf::atom_constant<caf::atom("list")>;
/// Asks a coordinator to restore files of its worktree to their base content.
using restore_atom = caf::atom_constant<caf::atom("restore")>;

/// A leased work item: the files, and the lease that a result must carry back.
struct work_item {
  uint32_t index = 0;
  uint64_t epoch = 0;       ///< the lease; a result with another epoch is rejected
  uint32_t lease_count = 0; ///< 1 on the first lease; more means an earlier run was lost
  std::vector<std::string> files;
};

/// The answer to a pull: an item, or word that the job has no more work for anyone.
struct lease_reply {
  bool job_over = false;
  work_item item;
};

/// An invoker's result for a leased item.
struct item_report {
  uint64_t epoch = 0;
  runtime::item_result result;
};

/// A job to start (sent to the job manager).
struct submit_job {
  runtime::job_spec spec;
};


} // namespace drover::actors

// These travel only between actors of one node; across nodes they go through FlatBuffers codecs.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::work_item)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::lease_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::item_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::actors::submit_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(drover::runtime::job_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<drover::runtime::job_record>)
