#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/wire_messages.hpp"

namespace drover::runtime {

/// Bounds that a received buffer must stay within before anything reads it.
struct decode_limits {
  /// Larger buffers are rejected unread; item reports carry the content of changed files.
  size_t max_bytes = 16 * 1024 * 1024;
  unsigned max_depth = 16;            ///< nesting of tables
  unsigned max_tables = 4096;         ///< tables and vectors in one buffer
};

/// Converts envelopes between their C++ form and FlatBuffers bytes (schemas/envelope.fbs).
/// Stateless and thread-safe.

/// Serializes `message` into a finished FlatBuffers buffer with file identifier "DRV1".
std::vector<uint8_t> encode(const envelope& message);

/// Verifies `size` bytes at `data` against the schema and `limits`, then converts them.
/// Returns runtime_errc::invalid_buffer naming what was wrong for anything that does not verify.
caf::expected<envelope> decode(const uint8_t* data, size_t size, const decode_limits& limits = {});

} // namespace drover::runtime
