#include "runtime/tool_probe.hpp"

#include "runtime/detail/regex.hpp"
#include "runtime/detail/verified_root.hpp"
#include "runtime/error.hpp"
#include "schemas/tool_generated.h"

namespace drover::runtime {

namespace {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return text.substr(0, std::min<size_t>(end == std::string::npos ? text.size() : end, 200));
}

/// Returns the version `pattern` finds in the first 4 KiB of `text` (versions come first, and
/// libstdc++'s regex recursion grows with the input): its first group, else the whole match;
/// "" when nothing matches or the regex gives up.
std::string find_version(const std::string& pattern, const std::string& text) {
  const auto head = text.substr(0, 4096);
  std::smatch match;
  try {
    if (!std::regex_search(head, match, std::regex{pattern}))
      return {};
  } catch (const std::regex_error&) {
    return {};
  }
  return match.size() > 1 && match[1].matched ? match[1].str() : match[0].str();
}

} // namespace

process_spec probe_process(const tool_manifest& manifest, const std::string& drover_binary) {
  process_spec spec;
  spec.argv = with_drover_binary(manifest.probe ? manifest.probe->argv : std::vector<std::string>{},
                                 drover_binary);
  spec.timeout = std::chrono::seconds{30}; // some start a JVM or a Python interpreter: slow when busy
  spec.kill_grace = std::chrono::milliseconds{500};
  spec.output_cap = 64 * 1024;
  return spec;
}

tool_availability probe_without_command(const tool_manifest& manifest, const std::string& drover_binary,
                                        int64_t now_ms) {
  const auto program = with_drover_binary(manifest.argv, drover_binary).front();
  const auto file = resolve_program(program);
  if (file.empty())
    return {false, {}, program + ": no executable file of that name in PATH", now_ms};
  return {true, {}, "found " + file + " (no probe command)", now_ms};
}

tool_availability probe_outcome(const tool_manifest& manifest,
                                const caf::expected<process_result>& run, int64_t now_ms) {
  if (!run)
    return {false, {}, describe(run.error()), now_ms};
  if (run->timed_out)
    return {false, {}, "the probe did not finish within its timeout", now_ms};
  if (run->exit_code != 0)
    return {false, {},
            "the probe exited with " + std::to_string(run->exit_code) + ": " + first_line(run->err + run->out),
            now_ms};
  tool_availability result{true, {}, first_line(run->out.empty() ? run->err : run->out), now_ms};
  if (manifest.probe && manifest.probe->version_regex) {
    result.version = find_version(*manifest.probe->version_regex, run->out);
    if (result.version.empty())
      result.version = find_version(*manifest.probe->version_regex, run->err);
  }
  return result;
}

flatbuffers::Offset<disk::ToolAvailability> build_tool_availability(flatbuffers::FlatBufferBuilder& builder,
                                                                    const tool_availability& availability) {
  return disk::CreateToolAvailability(builder, availability.available, builder.CreateString(availability.version),
                                      builder.CreateString(availability.detail), availability.probed_ms);
}

tool_availability read_tool_availability(const disk::ToolAvailability* table) {
  if (table == nullptr)
    return {};
  auto text = [](const flatbuffers::String* value) { return value ? value->str() : std::string{}; };
  return tool_availability{table->available(), text(table->version()), text(table->detail()), table->probed_ms()};
}

std::string encode(const tool_availability& availability) {
  flatbuffers::FlatBufferBuilder builder{128};
  builder.Finish(build_tool_availability(builder, availability));
  return {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()};
}

caf::expected<tool_availability> decode_tool_availability(std::string_view bytes) {
  const detail::aligned_bytes aligned{bytes};
  const auto* root = detail::verified_root<disk::ToolAvailability>(aligned);
  if (root == nullptr)
    return make_error(runtime_errc::corruption, "a stored tool availability record does not verify");
  return read_tool_availability(root);
}

} // namespace drover::runtime
