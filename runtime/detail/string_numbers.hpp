#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::runtime::detail {

/// Numbers distinct strings 0, 1, 2, ... in the order they are first seen: an open-addressing
/// hash table of numbers (linear probing, a power of two in size, at most half full) over the
/// strings kept in one vector. A lookup reads one slot array and one string, where
/// std::unordered_map reads a bucket, a node and divides by a prime: the tool index numbers a
/// hundred thousand tools and their terms this way (bench/tool_search_bench).
class string_numbers {
public:
  /// Returns the number of `text`, numbering it if new.
  uint32_t number(std::string_view text);

  /// Returns the number of `text`, if it has one.
  std::optional<uint32_t> find(std::string_view text) const;

  /// Returns the string numbered `number` (less than size()).
  const std::string& text(uint32_t number) const { return strings_[number]; }

  /// Returns how many strings are numbered.
  size_t size() const { return strings_.size(); }

private:
  /// Returns the slot holding `text`'s number, or the empty slot where it would go.
  size_t slot_of(std::string_view text) const;
  void grow();

  std::vector<std::string> strings_; ///< by number
  std::vector<uint32_t> slots_;      ///< number + 1, or 0 for an empty slot
};

} // namespace drover::runtime::detail
