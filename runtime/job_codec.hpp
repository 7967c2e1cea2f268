#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <flatbuffers/flatbuffers.h>

#include "runtime/job_model.hpp"

namespace drover::disk {
struct ItemResult; // schemas/job_generated.h
} // namespace drover::disk

namespace drover::runtime {

/// Converts job, item and result records between C++ structs and FlatBuffers bytes
/// (schemas/job.fbs). Decoding verifies first and fails with runtime_errc::corruption.

std::string encode(const job_record& record);
std::string encode(const item_record& record);
std::string encode(const item_result& result);

caf::expected<job_record> decode_job(std::string_view bytes);
caf::expected<item_record> decode_item(std::string_view bytes);
caf::expected<item_result> decode_result(std::string_view bytes);

/// Writes `result` into `builder` as a drover.disk.ItemResult table, for a buffer of its own or
/// nested in another one (the wire's ItemReport). Strings keep embedded '\0' bytes.
flatbuffers::Offset<disk::ItemResult> build_item_result(flatbuffers::FlatBufferBuilder& builder,
                                                         const item_result& result);

/// Converts an ItemResult table of an already verified buffer; a null `table` and absent fields
/// read as empty.
item_result read_item_result(const disk::ItemResult* table);

} // namespace drover::runtime
