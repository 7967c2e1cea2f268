#include "runtime/job_codec.hpp"

#include "runtime/detail/aligned_bytes.hpp"
#include "runtime/detail/verified_root.hpp"
#include "runtime/error.hpp"
#include "schemas/job_generated.h"

namespace drover::runtime {

namespace fb = drover::disk;

namespace {

using detail::verified_root;
using builder_t = flatbuffers::FlatBufferBuilder;

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
strings(builder_t& builder, const std::vector<std::string>& values) {
  return builder.CreateVectorOfStrings(values);
}

std::vector<std::string> read_strings(
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* values) {
  std::vector<std::string> result;
  if (values != nullptr)
    for (const auto* value : *values)
      result.push_back(value->str());
  return result;
}

std::string read(const flatbuffers::String* text) {
  return text == nullptr ? std::string{} : text->str();
}

std::string finish(builder_t& builder) {
  return {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()};
}

caf::error corrupt(const char* what) {
  return make_error(runtime_errc::corruption, std::string{"a stored "} + what + " does not verify");
}

} // namespace

std::string encode(const job_record& record) {
  builder_t builder{512};
  const auto& spec = record.spec;
  const auto spec_offset = fb::CreateJobSpec(
    builder, builder.CreateString(spec.repo), builder.CreateString(spec.base),
    strings(builder, spec.include), strings(builder, spec.exclude), strings(builder, spec.tools),
    strings(builder, spec.tool_args), static_cast<fb::JobMode>(spec.mode), spec.batch_size,
    builder.CreateString(spec.branch), builder.CreateString(spec.capability),
    builder.CreateString(spec.language), strings(builder, spec.tool_ranking));
  builder.Finish(fb::CreateJobRecord(
    builder, builder.CreateString(record.id), spec_offset, static_cast<fb::JobState>(record.state),
    builder.CreateString(record.base_commit), builder.CreateString(record.worktree),
    record.created_unix_ms, record.updated_unix_ms, record.finished_unix_ms, record.items_total,
    record.items_done, record.items_failed, record.files_total, record.files_changed,
    builder.CreateString(record.message), builder.CreateString(record.report_path),
    builder.CreateString(record.patch_path), builder.CreateString(record.branch_commit),
    record.outcome_applied, record.files_skipped));
  return finish(builder);
}

std::string encode(const item_record& record) {
  builder_t builder{256};
  builder.Finish(fb::CreateItemRecord(builder, record.index, strings(builder, record.files),
                                      static_cast<fb::ItemState>(record.state), record.epoch,
                                      record.attempts));
  return finish(builder);
}

std::string encode(const item_result& result) {
  builder_t builder{512};
  builder.Finish(build_item_result(builder, result));
  return finish(builder);
}

caf::expected<job_record> decode_job(std::string_view bytes) {
  const detail::aligned_bytes aligned{bytes};
  const auto* root = verified_root<fb::JobRecord>(aligned);
  if (root == nullptr)
    return corrupt("job record");
  job_record record;
  record.id = read(root->id());
  if (const auto* spec = root->spec()) {
    record.spec.repo = read(spec->repo());
    record.spec.base = read(spec->base());
    record.spec.include = read_strings(spec->include());
    record.spec.exclude = read_strings(spec->exclude());
    record.spec.tools = read_strings(spec->tools());
    record.spec.tool_args = read_strings(spec->tool_args());
    record.spec.mode = static_cast<job_mode>(spec->mode());
    record.spec.batch_size = spec->batch_size();
    record.spec.branch = read(spec->branch());
    record.spec.capability = read(spec->capability());
    record.spec.language = read(spec->language());
    record.spec.tool_ranking = read_strings(spec->tool_ranking());
  }
  record.state = static_cast<job_state>(root->state());
  record.base_commit = read(root->base_commit());
  record.worktree = read(root->worktree());
  record.created_unix_ms = root->created_unix_ms();
  record.updated_unix_ms = root->updated_unix_ms();
  record.finished_unix_ms = root->finished_unix_ms();
  record.items_total = root->items_total();
  record.items_done = root->items_done();
  record.items_failed = root->items_failed();
  record.files_total = root->files_total();
  record.files_changed = root->files_changed();
  record.message = read(root->message());
  record.report_path = read(root->report_path());
  record.patch_path = read(root->patch_path());
  record.branch_commit = read(root->branch_commit());
  record.outcome_applied = root->outcome_applied();
  record.files_skipped = root->files_skipped();
  return record;
}

caf::expected<item_record> decode_item(std::string_view bytes) {
  const detail::aligned_bytes aligned{bytes};
  const auto* root = verified_root<fb::ItemRecord>(aligned);
  if (root == nullptr)
    return corrupt("item record");
  return item_record{root->index(), read_strings(root->files()),
                     static_cast<item_state>(root->state()), root->epoch(), root->attempts()};
}

caf::expected<item_result> decode_result(std::string_view bytes) {
  const detail::aligned_bytes aligned{bytes};
  const auto* root = verified_root<fb::ItemResult>(aligned);
  if (root == nullptr)
    return corrupt("item result");
  return read_item_result(root);
}

flatbuffers::Offset<fb::ItemResult> build_item_result(builder_t& builder,
                                                      const item_result& result) {
  std::vector<flatbuffers::Offset<fb::FileResult>> files;
  for (const auto& file : result.files)
    files.push_back(fb::CreateFileResult(builder, builder.CreateString(file.path),
                                         builder.CreateString(file.hash_before),
                                         builder.CreateString(file.hash_after)));
  std::vector<flatbuffers::Offset<fb::ToolAttempt>> attempts;
  for (const auto& attempt : result.attempts)
    attempts.push_back(fb::CreateToolAttempt(
      builder, builder.CreateString(attempt.tool), builder.CreateString(attempt.version),
      builder.CreateString(attempt.outcome), attempt.exit_code, attempt.signal,
      attempt.duration_ms, builder.CreateString(attempt.stderr_excerpt)));
  return fb::CreateItemResult(builder, result.index, result.ok, builder.CreateString(result.tool),
                              builder.CreateString(result.tool_version), result.duration_ms,
                              builder.CreateVector(files), builder.CreateString(result.findings),
                              builder.CreateVector(attempts), builder.CreateString(result.error),
                              builder.CreateString(result.node));
}

item_result read_item_result(const fb::ItemResult* table) {
  item_result result;
  if (table == nullptr)
    return result;
  result.index = table->index();
  result.ok = table->ok();
  result.tool = read(table->tool());
  result.tool_version = read(table->tool_version());
  result.duration_ms = table->duration_ms();
  if (table->files() != nullptr)
    for (const auto* file : *table->files())
      result.files.push_back({read(file->path()), read(file->hash_before()), read(file->hash_after())});
  result.findings = read(table->findings());
  if (table->attempts() != nullptr)
    for (const auto* attempt : *table->attempts())
      result.attempts.push_back({read(attempt->tool()), read(attempt->version()),
                                 read(attempt->outcome()), attempt->exit_code(), attempt->signal(),
                                 attempt->duration_ms(), read(attempt->stderr_excerpt())});
  result.error = read(table->error());
  result.node = read(table->node());
  return result;
}

} // namespace drover::runtime
