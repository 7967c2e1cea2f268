#include "runtime/node_identity.hpp"

#include <chrono>
#include <cstdio>
#include <random>

#include "runtime/detail/aligned_bytes.hpp"
#include "runtime/error.hpp"
#include "runtime/unix_clock.hpp"
#include "schemas/node_record_generated.h"

namespace drover::runtime {

namespace {

constexpr std::string_view record_key = "node";

std::string random_node_id() {
  std::random_device entropy;
  std::uniform_int_distribution<uint64_t> bits;
  const auto value = (static_cast<uint64_t>(entropy()) << 32U) ^ entropy() ^ bits(entropy);
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

caf::expected<node_identity> read_record(const std::string& bytes) {
  const detail::aligned_bytes aligned{bytes};
  flatbuffers::Verifier verifier{aligned.data(), aligned.size()};
  if (!disk::VerifyNodeRecordBuffer(verifier))
    return make_error(runtime_errc::corruption, "the node record in the store does not verify");
  const auto* record = disk::GetNodeRecord(aligned.data());
  if (record->node_id() == nullptr || record->node_id()->size() == 0)
    return make_error(runtime_errc::corruption, "the node record in the store has no node id");
  return node_identity{record->node_id()->str(), record->boot_count(), record->first_boot_unix_ms(),
                       record->last_boot_unix_ms()};
}

std::string write_record(const node_identity& identity) {
  flatbuffers::FlatBufferBuilder builder{128};
  disk::FinishNodeRecordBuffer(
    builder, disk::CreateNodeRecordDirect(builder, identity.node_id.c_str(), identity.boot_count,
                                          identity.first_boot_unix_ms, identity.last_boot_unix_ms));
  return {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()};
}

} // namespace

caf::expected<node_identity> record_boot(store& db) {
  const auto now = unix_now_ms();
  node_identity identity;
  if (auto stored = db.get(column::meta, record_key)) {
    auto previous = read_record(*stored);
    if (!previous)
      return previous.error();
    identity = std::move(*previous);
  } else if (is(stored.error(), runtime_errc::not_found)) {
    identity = node_identity{random_node_id(), 0, now, now};
  } else {
    return stored.error();
  }
  ++identity.boot_count;
  identity.last_boot_unix_ms = now;
  if (auto error = db.put(column::meta, record_key, write_record(identity), durability::power))
    return error;
  return identity;
}

} // namespace drover::runtime
