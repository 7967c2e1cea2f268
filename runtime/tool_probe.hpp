#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <flatbuffers/flatbuffers.h>

#include "runtime/process_runner.hpp"
#include "runtime/tool_manifest.hpp"

namespace drover::disk {
struct ToolAvailability; // schemas/tool_generated.h
} // namespace drover::disk

namespace drover::runtime {

/// Whether a node can run a tool, as its last probe found.
struct tool_availability {
  bool available = false;
  std::string version; ///< from the probe's version_regex; empty when unknown
  std::string detail;  ///< why it is unavailable, or the first line the probe printed
  int64_t probed_ms = 0;
};

/// Returns the process that runs the probe command of `manifest` (which must have one), with a
/// short timeout; "drover" stands for `drover_binary`.
process_spec probe_process(const tool_manifest& manifest, const std::string& drover_binary);

/// Returns the availability of a tool without a probe command: available when its program
/// (argv[0]) is an executable file on PATH or at its path, which `drover_binary` stands for
/// when argv[0] is "drover".
tool_availability probe_without_command(const tool_manifest& manifest, const std::string& drover_binary,
                                        int64_t now_ms);

/// Interprets the end of a probe run: available when it exited with 0; the version is the
/// version_regex's first group (or whole match) in stdout, else stderr.
tool_availability probe_outcome(const tool_manifest& manifest,
                                const caf::expected<process_result>& run, int64_t now_ms);

/// Converts availability to and from FlatBuffers bytes (schemas/tool.fbs); decoding verifies
/// first and fails with runtime_errc::corruption.
std::string encode(const tool_availability& availability);
caf::expected<tool_availability> decode_tool_availability(std::string_view bytes);

/// Writes `availability` into `builder` as a drover.disk.ToolAvailability table, for a record
/// of its own or inside an envelope.
flatbuffers::Offset<disk::ToolAvailability> build_tool_availability(flatbuffers::FlatBufferBuilder& builder,
                                                                    const tool_availability& availability);

/// Reads a verified drover.disk.ToolAvailability table; null reads as not available.
tool_availability read_tool_availability(const disk::ToolAvailability* table);

} // namespace drover::runtime
