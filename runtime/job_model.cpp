#include "runtime/job_model.hpp"

#include <cstdio>

namespace drover::runtime {

std::string to_string(job_mode mode) {
  switch (mode) {
    case job_mode::advise: return "advise";
    case job_mode::apply: return "apply";
    case job_mode::branch: return "branch";
  }
  return "unknown";
}

std::string to_string(job_state state) {
  switch (state) {
    case job_state::pending: return "pending";
    case job_state::planning: return "planning";
    case job_state::running: return "running";
    case job_state::assembling: return "assembling";
    case job_state::succeeded: return "succeeded";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string to_string(item_state state) {
  switch (state) {
    case item_state::pending: return "pending";
    case item_state::leased: return "leased";
    case item_state::done: return "done";
    case item_state::failed: return "failed";
  }
  return "unknown";
}

bool parse_job_mode(const std::string& text, job_mode& mode) {
  for (auto candidate : {job_mode::advise, job_mode::apply, job_mode::branch})
    if (text == to_string(candidate)) {
      mode = candidate;
      return true;
    }
  return false;
}

bool is_final(job_state state) {
  return state == job_state::succeeded || state == job_state::failed
         || state == job_state::cancelled;
}

std::string item_key(const std::string& job_id, uint32_t index) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%08u", index);
  return job_id + "/" + digits;
}

std::string skipped_key(const std::string& job_id, std::string_view path) {
  std::string key = job_id + "/";
  key.append(path);
  return key;
}

} // namespace drover::runtime
