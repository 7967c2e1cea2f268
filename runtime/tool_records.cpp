#include "runtime/tool_records.hpp"

#include "runtime/detail/verified_root.hpp"
#include "runtime/error.hpp"
#include "schemas/tool_generated.h"

namespace drover::runtime {

namespace {

const std::string probe_prefix = "probe/";
const std::string manifest_prefix = "manifest/";

} // namespace

caf::expected<tool_stats> load_tool_stats(const store& db, const std::string& id) {
  auto bytes = db.get(column::tool_stats, id);
  if (!bytes)
    return bytes.error();
  return decode_tool_stats(*bytes);
}

caf::error store_tool_stats(store& db, const std::string& id, const tool_stats& stats) {
  return db.put(column::tool_stats, id, encode(stats));
}

caf::error store_tool_stats_copy(store& db, const std::string& id, const std::string& origin, const tool_stats& stats) {
  return db.put(column::tool_stats, id + "@" + origin, encode(stats));
}

caf::expected<std::vector<std::pair<std::string, tool_stats>>> load_tool_stats_copies(const store& db,
                                                                                      const std::string& id) {
  std::vector<std::pair<std::string, tool_stats>> copies;
  const auto prefix = id + "@";
  auto scanned = db.scan(column::tool_stats, prefix, [&](std::string_view key, std::string_view value) {
    if (auto stats = decode_tool_stats(value))
      copies.emplace_back(std::string{key.substr(prefix.size())}, std::move(*stats));
    return true;
  });
  if (scanned)
    return scanned;
  return copies;
}

caf::expected<tool_availability> load_tool_availability(const store& db, const std::string& id) {
  auto bytes = db.get(column::tools, probe_prefix + id);
  if (!bytes)
    return bytes.error();
  return decode_tool_availability(*bytes);
}

caf::error store_tool_availability(store& db, const std::string& id, const tool_availability& availability) {
  return db.put(column::tools, probe_prefix + id, encode(availability));
}

caf::error store_user_manifest(store& db, const std::string& id, const std::string& source,
                               const std::string& yaml) {
  flatbuffers::FlatBufferBuilder builder{yaml.size() + 128};
  builder.Finish(disk::CreateStoredManifest(builder, builder.CreateString(source), builder.CreateString(yaml)));
  return db.put(column::tools, manifest_prefix + id,
                {reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()},
                durability::power);
}

caf::expected<std::vector<std::pair<std::string, std::string>>> load_user_manifests(const store& db,
                                                                                  std::vector<std::string>& unreadable) {
  std::vector<std::pair<std::string, std::string>> result;
  auto scanned = db.scan(column::tools, manifest_prefix, [&](std::string_view key, std::string_view value) {
    const detail::aligned_bytes aligned{value};
    const auto* root = detail::verified_root<disk::StoredManifest>(aligned);
    if (root == nullptr || root->source() == nullptr || root->yaml() == nullptr)
      unreadable.emplace_back(key);
    else
      result.emplace_back(root->source()->str(), root->yaml()->str());
    return true;
  });
  if (scanned)
    return scanned;
  return result;
}

} // namespace drover::runtime
