#pragma once

#include <flatbuffers/flatbuffers.h>

#include "runtime/detail/aligned_bytes.hpp"

namespace drover::runtime::detail {

/// Verifies `bytes` as a buffer whose root is `Table` and returns the root, or nullptr when the
/// buffer does not verify. The root points into `bytes`.
template <class Table>
const Table* verified_root(const aligned_bytes& bytes) {
  flatbuffers::Verifier verifier{bytes.data(), bytes.size()};
  if (!verifier.VerifyBuffer<Table>(nullptr))
    return nullptr;
  return flatbuffers::GetRoot<Table>(bytes.data());
}

} // namespace drover::runtime::detail
