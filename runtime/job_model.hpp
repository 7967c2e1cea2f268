#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drover::runtime {

/// What a job does with its outcome.
enum class job_mode : uint8_t {
  advise, ///< report and patch only
  apply,  ///< also write the changes into the user's checkout
  branch, ///< also commit the changes on a new branch
};

/// Where a job stands; succeeded, failed and cancelled are final.
enum class job_state : uint8_t { pending, planning, running, assembling, succeeded, failed, cancelled };

/// Where a work item stands; done and failed are final.
enum class item_state : uint8_t { pending, leased, done, failed };

std::string to_string(job_mode mode);
std::string to_string(job_state state);
std::string to_string(item_state state);
/// Parses "advise", "apply" or "branch".
bool parse_job_mode(const std::string& text, job_mode& mode);
/// Returns true for succeeded, failed and cancelled.
bool is_final(job_state state);

/// What the user asked for.
struct job_spec {
  std::string repo;                   ///< absolute path of the user's repository
  std::string base;                   ///< revision to work on; "" means HEAD
  std::vector<std::string> include;   ///< globs of files to process
  std::vector<std::string> exclude;   ///< globs of files to leave alone
  std::vector<std::string> tools;     ///< the tool chain: first choice, then fallbacks
  std::vector<std::string> tool_args; ///< what {args} expands to in the tools' argv
  job_mode mode = job_mode::advise;
  uint32_t batch_size = 0;            ///< files per item; 0 takes the first tool's batching
  std::string branch;                 ///< branch mode: the branch to create
  /// When set (and `tools` empty at submission), the chain is the ranked available tools with
  /// this capability for `language`, resolved once when the job is recorded.
  std::string capability;
  std::string language;
  /// For a resolved chain: one line per candidate, best first, with its rank, score factors
  /// and whether it joined the chain or was skipped (e.g. not installed).
  std::vector<std::string> tool_ranking;
};

/// One job as stored (column `jobs`, key: id).
struct job_record {
  std::string id;
  job_spec spec;
  job_state state = job_state::pending;
  std::string base_commit;
  std::string worktree;
  int64_t created_unix_ms = 0;
  int64_t updated_unix_ms = 0;
  int64_t finished_unix_ms = 0;
  uint64_t items_total = 0;
  uint64_t items_done = 0;
  uint64_t items_failed = 0;
  uint64_t files_total = 0;   ///< files given to the tools (in the job's items)
  uint64_t files_changed = 0;
  uint64_t files_skipped = 0; ///< selected by the globs but taken by no tool of the chain
  std::string message; ///< why it failed, or a one-line summary
  std::string report_path;
  std::string patch_path;
  std::string branch_commit;
  bool outcome_applied = false; ///< apply mode: the patch is in the user's checkout
};

/// One work item (column `items`, key: job id / index).
struct item_record {
  uint32_t index = 0;
  std::vector<std::string> files;
  item_state state = item_state::pending;
  uint64_t epoch = 0;    ///< incremented on every lease; a result must carry the current one
  uint32_t attempts = 0; ///< leases so far
};

struct file_result {
  std::string path;
  std::string hash_before;
  std::string hash_after;
  bool changed() const { return hash_before != hash_after; }
};

/// One invocation attempt of a tool on an item.
struct tool_attempt {
  std::string tool;
  std::string version;
  std::string outcome; ///< success, findings, failure, timeout, spawn-failed, signal
  int exit_code = 0;
  int signal = 0;
  int64_t duration_ms = 0;
  std::string stderr_excerpt;
};

/// What running an item produced (column `results`, key: job id / index).
struct item_result {
  uint32_t index = 0;
  bool ok = false;
  std::string tool; ///< the tool whose run was kept
  std::string tool_version;
  int64_t duration_ms = 0;
  std::vector<file_result> files;
  std::string findings;
  std::vector<tool_attempt> attempts;
  std::string error; ///< why the item failed
  std::string node;  ///< the node whose invoker ran it
};

/// Returns the store key of item `index` of job `job_id`: "JOB/00000042" (sorts by index).
std::string item_key(const std::string& job_id, uint32_t index);

/// Returns the store key (column `skipped`) of the file `path` that job `job_id` skipped:
/// "JOB/PATH".
std::string skipped_key(const std::string& job_id, std::string_view path);

} // namespace drover::runtime
