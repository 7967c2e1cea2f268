#include "runtime/detail/string_numbers.hpp"

#include <functional>

namespace drover::runtime::detail {

uint32_t string_numbers::number(std::string_view text) {
  if (2 * (strings_.size() + 1) > slots_.size())
    grow();
  auto& slot = slots_[slot_of(text)];
  if (slot == 0) {
    strings_.emplace_back(text);
    slot = static_cast<uint32_t>(strings_.size());
  }
  return slot - 1;
}

std::optional<uint32_t> string_numbers::find(std::string_view text) const {
  if (slots_.empty())
    return std::nullopt;
  const auto slot = slots_[slot_of(text)];
  return slot == 0 ? std::nullopt : std::optional<uint32_t>{slot - 1};
}

size_t string_numbers::slot_of(std::string_view text) const {
  const size_t mask = slots_.size() - 1;
  for (size_t at = std::hash<std::string_view>{}(text) & mask;; at = (at + 1) & mask)
    if (slots_[at] == 0 || strings_[slots_[at] - 1] == text)
      return at;
}

void string_numbers::grow() {
  slots_.assign(slots_.empty() ? 64 : 2 * slots_.size(), 0);
  for (uint32_t number = 0; number < strings_.size(); ++number)
    slots_[slot_of(strings_[number])] = number + 1;
}

} // namespace drover::runtime::detail
