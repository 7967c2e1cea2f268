#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
} // namespace rocksdb

namespace drover::runtime {

/// The record kinds of the store, one RocksDB column family each. `skipped`: the files a job
/// selected but gave to no tool (key: job id / path, value: why).
enum class column { meta, jobs, items, results, tools, tool_stats, audit, skipped };

/// Returns the column family name of `kind`, e.g. "tool_stats".
std::string to_string(column kind);

/// How far a write must get before it is acknowledged.
enum class durability {
  process, ///< in the WAL without sync: survives a crash of the process
  power,   ///< in the WAL and synced: survives a crash of the machine
};

/// A set of writes applied atomically by store::write; made by store::batch and valid while
/// that store is open. Not thread-safe.
class store_batch {
public:
  ~store_batch();
  store_batch(store_batch&&) noexcept;
  store_batch& operator=(store_batch&&) noexcept;

  /// Records that `key` in `kind` becomes `value`.
  void put(column kind, std::string_view key, std::string_view value);
  /// Records that `key` in `kind` is removed.
  void erase(column kind, std::string_view key);
  /// Returns the number of writes recorded.
  size_t size() const;

private:
  friend class store;
  explicit store_batch(const std::vector<rocksdb::ColumnFamilyHandle*>& handles);

  const std::vector<rocksdb::ColumnFamilyHandle*>* handles_;
  std::unique_ptr<rocksdb::WriteBatch> writes_;
};

/// The RocksDB adapter: one database per node with a column family per record kind. The only
/// place that sees RocksDB types. Thread-safe (RocksDB serializes writers internally).
class store {
public:
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Opens the store in directory `path`, creating it and any missing column families.
  /// Fails with store_locked when another process has it open, io_error when the directory
  /// cannot be created or written, corruption when its files do not read.
  static caf::expected<std::unique_ptr<store>> open(const std::string& path);

  /// Returns the value of `key` in `kind`, or runtime_errc::not_found.
  caf::expected<std::string> get(column kind, std::string_view key) const;

  /// Returns an empty batch for this store.
  store_batch batch() const;

  /// Writes one key.
  caf::error put(column kind, std::string_view key, std::string_view value,
                 durability level = durability::process);

  /// Applies every write of `batch` atomically.
  caf::error write(const store_batch& batch, durability level = durability::process);

  /// Applies the writes of all `batches`, in order, as one RocksDB write batch: one WAL record
  /// and one write(2) for all of them, and either every batch is applied or none is.
  /// The pointers must not be null.
  caf::error write(const std::vector<const store_batch*>& batches,
                   durability level = durability::process);

  /// Calls `visit(key, value)` for every key of `kind` starting with `prefix`, in key order,
  /// until it returns false.
  caf::error scan(column kind, std::string_view prefix,
                  const std::function<bool(std::string_view, std::string_view)>& visit) const;

  /// Like scan() above, but starts at the first key not before `from`: a long scan can be
  /// taken in steps, each continuing at the key where the previous one stopped.
  caf::error scan(column kind, std::string_view prefix, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& visit) const;

  /// Syncs the write-ahead log: every write acknowledged before survives a power loss.
  caf::error sync_wal();

  /// Flushes memtables to disk and syncs the WAL (called on clean shutdown).
  caf::error flush();

  /// Starts flushing every memtable to disk and returns without waiting. Durability does not
  /// depend on it (a write is in the WAL until a flush covers it); it lets RocksDB drop the WAL
  /// that a restart after a crash would otherwise replay, e.g. after a bulk write.
  caf::error start_flush();

  /// Returns the directory of the store.
  const std::string& path() const { return path_; }

private:
  store(std::string path, std::unique_ptr<rocksdb::DB> db,
        std::vector<rocksdb::ColumnFamilyHandle*> handles);
  rocksdb::ColumnFamilyHandle* handle(column kind) const;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_; ///< index 0 is "default", then `column`
};

} // namespace drover::runtime
