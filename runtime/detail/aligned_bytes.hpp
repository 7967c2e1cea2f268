#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drover::runtime::detail {

/// Bytes FlatBuffers can read in place: the given ones when they are aligned as the largest
/// scalar, else an aligned copy. ZeroMQ frames and RocksDB values may start anywhere, and
/// FlatBuffers reads scalars without copying. Not thread-safe; the view lives as long as this.
class aligned_bytes {
public:
  explicit aligned_bytes(std::string_view bytes) : view_(bytes) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
      copy_.assign(bytes); // heap and in-object buffers of std::string are aligned
      view_ = copy_;
    }
  }
  aligned_bytes(const aligned_bytes&) = delete;
  aligned_bytes& operator=(const aligned_bytes&) = delete;

  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(view_.data()); }
  size_t size() const { return view_.size(); }

private:
  std::string copy_;
  std::string_view view_;
};

} // namespace drover::runtime::detail
