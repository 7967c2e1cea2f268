#include "runtime/store.hpp"

#include <algorithm>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "runtime/error.hpp"

namespace drover::runtime {

namespace {

constexpr column all_columns[] = {column::meta,  column::jobs,       column::items, column::results,
                                  column::tools, column::tool_stats, column::audit, column::skipped};

/// Converts a RocksDB status, keeping "not found", "locked" and "corrupt" apart from I/O errors.
caf::error to_error(const rocksdb::Status& status, const std::string& what) {
  if (status.ok())
    return caf::none;
  const auto text = what + ": " + status.ToString();
  if (status.IsNotFound())
    return make_error(runtime_errc::not_found, text);
  if (status.IsCorruption())
    return make_error(runtime_errc::corruption, text);
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos)
    return make_error(runtime_errc::store_locked,
                      what + ": the store is locked by another process (is a node already "
                             "running on this data directory?)");
  return make_error(runtime_errc::io_error, text);
}

rocksdb::WriteOptions write_options(durability level) {
  rocksdb::WriteOptions options;
  options.sync = level == durability::power;
  return options;
}

} // namespace

std::string to_string(column kind) {
  switch (kind) {
    case column::meta: return "meta";
    case column::jobs: return "jobs";
    case column::items: return "items";
    case column::results: return "results";
    case column::tools: return "tools";
    case column::tool_stats: return "tool_stats";
    case column::audit: return "audit";
    case column::skipped: return "skipped";
  }
  return "unknown";
}

store_batch::store_batch(const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
  : handles_(&handles), writes_(std::make_unique<rocksdb::WriteBatch>()) {}
store_batch::~store_batch() = default;
store_batch::store_batch(store_batch&&) noexcept = default;
store_batch& store_batch::operator=(store_batch&&) noexcept = default;

// WriteBatch::Put and Delete fail only past WriteBatch's max_bytes, which Drover never sets.
void store_batch::put(column kind, std::string_view key, std::string_view value) {
  writes_->Put((*handles_)[static_cast<size_t>(kind) + 1], key, value).PermitUncheckedError();
}

void store_batch::erase(column kind, std::string_view key) {
  writes_->Delete((*handles_)[static_cast<size_t>(kind) + 1], key).PermitUncheckedError();
}

size_t store_batch::size() const {
  return static_cast<size_t>(writes_->Count());
}

store::store(std::string path, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles)
  : path_(std::move(path)), db_(std::move(db)), handles_(std::move(handles)) {}

store::~store() {
  for (auto* handle : handles_)
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

caf::expected<std::unique_ptr<store>> store::open(const std::string& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // Opening after a crash replays the WAL into memtables, and by default then writes them to
  // table files before the open returns (0.1-0.4 s of a restart with a large job). Without
  // that flush the replayed writes stay in memtables and RocksDB keeps their WAL files until a
  // regular flush covers them, so every write acknowledged before the crash survives the next
  // crash as well: durability is the same, only the table files are written later.
  options.avoid_flush_during_recovery = true;
  // The replay grows with what was written since the last flush, and a column family written
  // rarely (meta: one record per boot) pins every WAL after its last write until the WALs
  // total max_total_wal_size; the default is 4 x all memtables, gigabytes. Past this limit
  // RocksDB flushes the column families that pin the oldest WAL. The replay costs 13-15 ms per
  // MB on the 2-vCPU VM of bench/README.md (0.3-0.5 s for 16 MiB, 0.6 s for 32 MiB, over an
  // open of 0.15 s), so this bounds what a crash adds to a restart, whenever it happens, for
  // smaller, more frequent flushes under heavy writing. Durability does not depend on it.
  options.max_total_wal_size = 16ULL << 20U;
  std::vector<rocksdb::ColumnFamilyDescriptor> families{
    {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{}}};
  for (auto kind : all_columns)
    families.emplace_back(to_string(kind), rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (auto error = to_error(rocksdb::DB::Open(options, path, families, &handles, &raw),
                            "cannot open the store in " + path))
    return error;
  return std::unique_ptr<store>{new store{path, std::unique_ptr<rocksdb::DB>{raw}, std::move(handles)}};
}

rocksdb::ColumnFamilyHandle* store::handle(column kind) const {
  return handles_[static_cast<size_t>(kind) + 1];
}

caf::expected<std::string> store::get(column kind, std::string_view key) const {
  std::string value;
  if (auto error = to_error(db_->Get(rocksdb::ReadOptions{}, handle(kind), key, &value),
                            "get " + to_string(kind) + "/" + std::string{key}))
    return error;
  return value;
}

caf::error store::put(column kind, std::string_view key, std::string_view value,
                      durability level) {
  return to_error(db_->Put(write_options(level), handle(kind), key, value),
                  "put " + to_string(kind) + "/" + std::string{key});
}

store_batch store::batch() const {
  return store_batch{handles_};
}

caf::error store::write(const store_batch& batch, durability level) {
  return to_error(db_->Write(write_options(level), batch.writes_.get()), "write batch");
}

caf::error store::write(const std::vector<const store_batch*>& batches, durability level) {
  // rocksdb::WriteBatchInternal::Append is not public, so the batches are concatenated in the
  // serialized form that the public WriteBatch(std::string&&) constructor takes back, which is
  // also the WAL record format (db/write_batch.cc): a 12-byte header (a fixed64 sequence number
  // that DB::Write assigns, then the little-endian fixed32 record count), then the records. That is
  // one copy of the bytes, like RocksDB's own write-group merge; re-putting every record
  // through WriteBatch::Handler costs about three times as much. store_batch never enables
  // per-key protection bytes or timestamps, which this form would not carry.
  constexpr size_t header = 12;
  size_t bytes = header;
  for (const auto* batch : batches)
    bytes += batch->writes_->GetDataSize() - header;
  std::string records;
  records.reserve(bytes);
  records.assign(header, '\0');
  uint32_t count = 0;
  for (const auto* batch : batches) {
    records.append(batch->writes_->Data(), header, std::string::npos);
    count += batch->writes_->Count();
  }
  for (size_t i = 0; i < 4; ++i)
    records[8 + i] = static_cast<char>(count >> (8 * i));
  rocksdb::WriteBatch merged{std::move(records)};
  return to_error(db_->Write(write_options(level), &merged),
                  "write " + std::to_string(batches.size()) + " batches");
}

caf::error store::scan(column kind, std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& visit) const {
  return scan(kind, prefix, prefix, visit);
}

caf::error store::scan(column kind, std::string_view prefix, std::string_view from,
                       const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{}, handle(kind))};
  // Both orders are bytewise (std::char_traits<char> compares as unsigned char, like memcmp).
  for (it->Seek(std::max(prefix, from)); it->Valid() && it->key().starts_with(prefix); it->Next())
    if (!visit(it->key().ToStringView(), it->value().ToStringView()))
      break;
  return to_error(it->status(), "scan " + to_string(kind));
}

caf::error store::sync_wal() {
  return to_error(db_->SyncWAL(), "sync the write-ahead log");
}

caf::error store::flush() {
  if (auto error = to_error(db_->Flush(rocksdb::FlushOptions{}, handles_), "flush"))
    return error;
  return to_error(db_->FlushWAL(true), "sync the write-ahead log");
}

caf::error store::start_flush() {
  rocksdb::FlushOptions options;
  options.wait = false;
  return to_error(db_->Flush(options, handles_), "start a flush");
}

} // namespace drover::runtime
