#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "runtime/job_model.hpp"

namespace drover::runtime {

/// Converts job, item and result records between C++ structs and FlatBuffers bytes
/// (schemas/job.fbs). Decoding verifies first and fails with runtime_errc::corruption.

std::string encode(const job_record& record);
std::string encode(const item_record& record);
std::string encode(const item_result& result);

caf::expected<job_record> decode_job(std::string_view bytes);
caf::expected<item_record> decode_item(std::string_view bytes);
caf::expected<item_result> decode_result(std::string_view bytes);

} // namespace drover::runtime
