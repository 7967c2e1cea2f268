#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include <caf/expected.hpp>
#include <flatbuffers/flatbuffers.h>

#include "runtime/error.hpp"

namespace drover::runtime::detail {

/// Helpers of the codecs that read verified FlatBuffers tables, where any field may be absent
/// and any enum may hold a value this node does not know. Stateless and thread-safe.

/// Returns `text`, or an empty string when absent.
inline std::string read_string(const flatbuffers::String* text) {
  return text == nullptr ? std::string{} : text->str();
}

/// Returns the strings of `values`, or none when absent.
inline std::vector<std::string>
read_strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* values) {
  std::vector<std::string> result;
  if (values != nullptr)
    for (const auto* value : *values)
      result.push_back(value->str());
  return result;
}

/// Returns the numbers of `values`, or none when absent.
template <class T>
std::vector<T> read_numbers(const flatbuffers::Vector<T>* values) {
  return values == nullptr ? std::vector<T>{} : std::vector<T>(values->begin(), values->end());
}

/// Converts the wire enum `value` of the field `field` into its C++ enum, refusing values past
/// the last enumerator this node knows.
template <class Native, class Wire>
caf::expected<Native> read_enum(Wire value, const char* field) {
  using number = std::underlying_type_t<Wire>;
  if (static_cast<number>(value) > static_cast<number>(Wire::MAX))
    return make_error(runtime_errc::invalid_buffer,
                      std::string{field} + " holds the unknown value " + std::to_string(static_cast<unsigned>(value)));
  return static_cast<Native>(value);
}

} // namespace drover::runtime::detail
