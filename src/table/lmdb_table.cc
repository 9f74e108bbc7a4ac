// lmdb:/path: the LMDB file /path.lmdb, as Debian's "postmap lmdb:/path"
// makes it (Postfix's dict_lmdb over slmdb).
//
// File and conventions (from dict_lmdb.c/slmdb.c, checked against Debian's
// Postfix 3.7): one unnamed LMDB database in a single file (MDB_NOSUBDIR),
// opened with MDB_NOLOCK, so no "-lock" file exists and LMDB's reader table
// is not used; instead the .lmdb file itself carries fcntl() locks
// (file_lock.h): shared around each read, exclusive around each write.
// Keys and values are written with a trailing NUL unless NulMode::kOmit;
// with kTypeDefault a lookup tries "key\0" then "key" and sticks to the
// first form found.  Values and sequence keys are cut at the first NUL.
// fold_keys lowercases the key for lookup, update and delete.  The map
// starts at 16 MB (Postfix's lmdb_map_size) and doubles on MDB_MAP_FULL; a
// map grown by another process is picked up on MDB_MAP_RESIZED.  First/next
// walk LMDB's key order (bytewise).
//
// Modes
// - read-only: per-operation read transactions; Update/Delete are Refused.
// - read_write: one transaction per update or delete, committed at once (with
//   create, commits skip fsync and Close() syncs once: a bulk load stays fast).
// - truncate (build): the table is written into a temporary file beside
//   /path.lmdb (replacement_file.h: lock, mode and owner) and Close() puts
//   it in place, so a reader sees the old table or the new one, never half.
//   The build is one transaction, as postmap's, in a map reserved large
//   enough (1 TB of address space, not of file) that it never has to grow:
//   growing would abort the transaction, and replaying it would mean keeping
//   every record in memory (postmap reads its source again instead).
//   Destroying the table without Close() abandons the build and leaves the
//   old table.
// - A new file (read_write + create) gets OpenOptions::new_file_mode.
// Errors: a missing or corrupt file is a ConfigError "open database
// /path.lmdb: REASON"; LMDB errors during operations are TempErrors naming
// the table and, for a write, the key ("error updating lmdb:/path: key
// "k": REASON"): no write failure is ever reported as success.  A key
// longer than LMDB's limit (511 bytes) cannot be stored: an update fails
// naming it, a lookup or delete finds nothing, as postmap does.  A
// duplicate key on update warns "lmdb:/path: duplicate entry: "key""
// (kWarn, keeps the first), replaces (kReplace) or keeps silently.
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/file_lock.h"
#include "table/key_folding.h"
#include "table/key_text.h"
#include "table/nul_convention.h"
#include "table/replacement_file.h"
#include "table/table_types.h"

namespace mctable {
namespace {

constexpr size_t kInitialMapSize = 16 * 1024 * 1024;  // Postfix's lmdb_map_size default
constexpr size_t kMaxMapSize = size_t{1} << 44;
constexpr int kMaxResizeRetries = 64;
// The map of a build: address space only (the file grows with its data).
// Where the process may not map that much, open halves it down to the
// initial size.
constexpr size_t kBuildMapSize = size_t{1} << 40;

class LmdbTable : public Table {
 public:
  LmdbTable(std::string path, const OpenOptions& options)
      : Table("lmdb", path),
        options_(options),
        db_path_(path + ".lmdb"),
        nul_(options.nul_mode, /*write_default_with_nul=*/true) {}
  ~LmdbTable() override;

  Status Open();

  Status Lookup(std::string_view key, std::string* value) override;
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;
  Status Update(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override;
  Status Close() override;

 private:
  enum class Mode { kReadOnly, kPerOperation, kBuild };

  Status OpenEnvironment(const std::string& file, bool read_only);
  Status LmdbError(const char* what, int rc) const {
    return Status::TempError(std::string(what) + " " + full_name() + ": " + mdb_strerror(rc));
  }
  // "error updating lmdb:/path: key "k": REASON".
  Status KeyError(const char* what, std::string_view stored_key, int rc) const {
    return Status::TempError(std::string(what) + " " + full_name() + ": key " +
                             QuotedKey(UpToNul(stored_key)) + ": " + mdb_strerror(rc));
  }
  bool KeyFits(size_t size) const { return size > 0 && size <= max_key_size_; }
  // Runs fn(txn) in a read transaction (or in the build transaction).
  template <typename Fn>
  Status WithReadTxn(Fn fn);
  Status LookupInTxn(MDB_txn* txn, std::string_view raw_key, std::string* value);
  // Runs fn(txn) -> mdb rc as one write: its own locked, committed
  // transaction, or a step of the build transaction.  Grows the map on
  // MDB_MAP_FULL.  A failure of the transaction itself is returned, worded
  // with `stored_key`; fn's own result goes to *rc.
  template <typename Fn>
  Status Write(std::string_view stored_key, Fn fn, int* rc);
  template <typename Fn>
  Status WriteOwnTxn(std::string_view stored_key, Fn fn, int* rc);
  Status GrowMap();
  void EndSequence();
  void Abandon();

  OpenOptions options_;
  std::string db_path_;
  Mode mode_ = Mode::kReadOnly;
  NulConvention nul_;
  std::string key_buffer_;  // reused by lookups
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  size_t max_key_size_ = 511;
  int lock_fd_ = -1;  // the file others lock (not in build mode: the replacement holds it)
  size_t map_size_ = kInitialMapSize;
  MDB_txn* read_txn_ = nullptr;  // reset between reads, renewed for each
  std::unique_ptr<ReplacementFile> replacement_;  // build mode
  MDB_txn* build_txn_ = nullptr;
  MDB_txn* seq_txn_ = nullptr;  // own read transaction of first/next
  MDB_cursor* seq_cursor_ = nullptr;
  bool closed_ = false;
};

Status LmdbTable::OpenEnvironment(const std::string& file, bool read_only) {
  unsigned flags = MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS;
  if (read_only) flags |= MDB_RDONLY;
  if (mode_ == Mode::kBuild || (mode_ == Mode::kPerOperation && options_.create)) flags |= MDB_NOSYNC;
  int rc = 0;
  for (;;) {
    rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_mapsize(env_, map_size_);
    if (rc == 0) rc = mdb_env_open(env_, file.c_str(), flags, 0644);
    if (rc == 0) break;
    // LMDB: an environment whose open failed must be closed, not reused.
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = nullptr;
    // A build's large map may be more than the process may map: ENOMEM
    // under ulimit -v, EINVAL where the address space manager refuses the
    // length (valgrind).  Any other cause fails again at the initial size.
    if ((rc != ENOMEM && rc != EINVAL) || mode_ != Mode::kBuild || map_size_ <= kInitialMapSize) break;
    map_size_ /= 2;
  }
  if (rc != 0) return Status::ConfigError("open database " + db_path_ + ": " + mdb_strerror(rc));
  max_key_size_ = static_cast<size_t>(mdb_env_get_maxkeysize(env_));
  MDB_envinfo info;
  if (mdb_env_info(env_, &info) == 0 && info.me_mapsize > map_size_) map_size_ = info.me_mapsize;
  // A file cut short (full disk, bad copy) would make LMDB touch pages past
  // its end through the map: SIGBUS, as Debian's postmap dies.  The meta
  // page says how many pages there are, so refuse such a file at open.
  MDB_stat stat;
  int fd = -1;
  struct stat st;
  if (mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &stat) == 0 &&
      mdb_env_get_fd(env_, &fd) == 0 && ::fstat(fd, &st) == 0) {
    uint64_t needed = (uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
    if (static_cast<uint64_t>(st.st_size) < needed)
      return Status::ConfigError("open database " + db_path_ + ": file is truncated: " +
                                 std::to_string(st.st_size) + " bytes, its metadata says " +
                                 std::to_string(needed));
  }

  for (int attempt = 0;; ++attempt) {
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, read_only ? MDB_RDONLY : 0, &txn);
    if (rc == MDB_MAP_RESIZED && attempt < kMaxResizeRetries) {
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc == 0) {
      rc = mdb_txn_commit(txn);
    } else if (txn != nullptr) {
      mdb_txn_abort(txn);
    }
    break;
  }
  if (rc != 0) return Status::ConfigError("open database " + db_path_ + ": " + mdb_strerror(rc));
  if (mode_ != Mode::kBuild && mdb_env_get_fd(env_, &lock_fd_) != 0) lock_fd_ = -1;
  return Status::OK();
}

Status LmdbTable::Open() {
  if (options_.truncate)
    mode_ = Mode::kBuild;
  else if (options_.read_write || options_.create)
    mode_ = Mode::kPerOperation;
  else
    mode_ = Mode::kReadOnly;

  if (mode_ == Mode::kPerOperation) {
    bool exists = access(db_path_.c_str(), F_OK) == 0;
    if (!exists && !options_.create)
      return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
    Status status = OpenEnvironment(db_path_, false);
    if (status.ok() && !exists && lock_fd_ >= 0)
      status = SetFileAttributes(lock_fd_, db_path_, NewTableFileMode(options_), static_cast<uid_t>(-1),
                                 static_cast<gid_t>(-1));
    return status;
  }
  if (mode_ == Mode::kReadOnly) return OpenEnvironment(db_path_, true);

  replacement_ = std::make_unique<ReplacementFile>(db_path_, LockStyle::kFcntl, NewTableFileMode(options_));
  map_size_ = kBuildMapSize;
  Status status = replacement_->Begin();
  if (status.ok()) status = replacement_->CreateTemp();  // empty: LMDB makes it a new database
  if (status.ok()) status = OpenEnvironment(replacement_->temp_path(), false);
  if (!status.ok()) return status;
  int rc = mdb_txn_begin(env_, nullptr, 0, &build_txn_);
  if (rc != 0) return LmdbError("begin transaction for", rc);
  return Status::OK();
}

LmdbTable::~LmdbTable() {
  if (!closed_) {
    if (mode_ == Mode::kPerOperation && env_ != nullptr) mdb_env_sync(env_, 1);
    Abandon();
  }
}

void LmdbTable::EndSequence() {
  if (seq_cursor_ != nullptr) mdb_cursor_close(seq_cursor_);
  seq_cursor_ = nullptr;
  if (seq_txn_ != nullptr) mdb_txn_abort(seq_txn_);
  seq_txn_ = nullptr;
}

// Releases everything without committing the build (the replacement then
// removes its file and drops its lock).
void LmdbTable::Abandon() {
  EndSequence();
  if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
  read_txn_ = nullptr;
  if (build_txn_ != nullptr) mdb_txn_abort(build_txn_);
  build_txn_ = nullptr;
  if (env_ != nullptr) mdb_env_close(env_);
  env_ = nullptr;
  replacement_.reset();
  lock_fd_ = -1;
  closed_ = true;
}

template <typename Fn>
Status LmdbTable::WithReadTxn(Fn fn) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (mode_ == Mode::kBuild) {
    if (build_txn_ == nullptr) return Status::TempError("table " + full_name() + ": build failed");
    fn(build_txn_);
    return Status::OK();
  }
  ScopedFileLock lock(lock_fd_, LockStyle::kFcntl, LockOp::kShared, db_path_);
  if (!lock.status().ok()) return lock.status();
  for (int attempt = 0;; ++attempt) {
    int rc = read_txn_ != nullptr ? mdb_txn_renew(read_txn_)
                                  : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &read_txn_);
    if (rc == MDB_MAP_RESIZED && attempt < kMaxResizeRetries) {
      if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
      read_txn_ = nullptr;
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc != 0) {
      if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
      read_txn_ = nullptr;
      return LmdbError("error reading", rc);
    }
    break;
  }
  fn(read_txn_);
  mdb_txn_reset(read_txn_);
  return Status::OK();
}

Status LmdbTable::GrowMap() {
  if (map_size_ >= kMaxMapSize) return Status::TempError("error updating " + full_name() + ": map is full");
  map_size_ *= 2;
  int rc = mdb_env_set_mapsize(env_, map_size_);
  if (rc != 0) return LmdbError("error resizing", rc);
  return Status::OK();
}

template <typename Fn>
Status LmdbTable::WriteOwnTxn(std::string_view stored_key, Fn fn, int* result) {
  for (int attempt = 0;; ++attempt) {
    ScopedFileLock lock(lock_fd_, LockStyle::kFcntl, LockOp::kExclusive, db_path_);
    if (!lock.status().ok()) return lock.status();
    if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);  // no stale snapshot across a resize
    read_txn_ = nullptr;
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == MDB_MAP_RESIZED && attempt < kMaxResizeRetries) {
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc != 0) return KeyError("error updating", stored_key, rc);
    rc = fn(txn);
    if (rc != 0 && rc != MDB_KEYEXIST && rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      if (rc != MDB_MAP_FULL) {
        *result = rc;  // the caller words fn's own failure
        return Status::OK();
      }
    } else {
      int commit_rc = mdb_txn_commit(txn);
      if (commit_rc == 0) {
        *result = rc;
        return Status::OK();
      }
      rc = commit_rc;
    }
    if (rc == MDB_MAP_FULL && attempt < kMaxResizeRetries) {
      Status status = GrowMap();
      if (!status.ok()) return status;
      continue;
    }
    return KeyError("error updating", stored_key, rc);
  }
}

template <typename Fn>
Status LmdbTable::Write(std::string_view stored_key, Fn fn, int* rc) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (mode_ == Mode::kReadOnly)
    return Status::Refused("table " + full_name() + ": database is open read-only");
  if (mode_ != Mode::kBuild) return WriteOwnTxn(stored_key, fn, rc);
  // One transaction in a map that does not grow: MDB_MAP_FULL is an error
  // like any other (and the build is then abandoned).
  if (build_txn_ == nullptr) return Status::TempError("table " + full_name() + ": build failed");
  *rc = fn(build_txn_);
  return Status::OK();
}

// Looks one key up inside an open read transaction, trying the NUL forms
// in Postfix's order.
Status LmdbTable::LookupInTxn(MDB_txn* txn, std::string_view raw_key, std::string* value) {
  std::string& key = key_buffer_;
  key = PrepareKey(raw_key, options_);
  return nul_.Find(key, [&](const char* data, size_t size) {
    if (!KeyFits(size)) return Status::NotFound();  // cannot have been stored
    MDB_val k{size, const_cast<char*>(data)};
    MDB_val v;
    int rc = mdb_get(txn, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return Status::NotFound();
    if (rc != 0) return LmdbError("error reading", rc);
    value->assign(UpToNul(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size)));
    return Status::OK();
  });
}

Status LmdbTable::Lookup(std::string_view raw_key, std::string* value) {
  Status result;
  Status status = WithReadTxn([&](MDB_txn* txn) { result = LookupInTxn(txn, raw_key, value); });
  return status.ok() ? result : status;
}

// One shared lock and one read transaction for the whole batch, instead of
// a lock and unlock per key.
void LmdbTable::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  results->resize(keys.size());
  Status status = WithReadTxn([&](MDB_txn* txn) {
    for (size_t i = 0; i < keys.size(); ++i)
      (*results)[i].status = LookupInTxn(txn, keys[i], &(*results)[i].value);
  });
  if (!status.ok())
    for (auto& r : *results) r.status = status;
}

Status LmdbTable::Update(std::string_view raw_key, std::string_view raw_value) {
  std::string key = PrepareKey(raw_key, options_);
  std::string value(UpToNul(raw_value));
  if (mode_ != Mode::kReadOnly && nul_.DecideForWrite()) {
    key.push_back('\0');
    value.push_back('\0');
  }
  if (mode_ != Mode::kReadOnly && !KeyFits(key.size()))
    return Status::TempError("error updating " + full_name() + ": key " + QuotedKey(UpToNul(key)) +
                             ": " + (key.empty() ? std::string("empty key")
                                                 : "key is longer than " + std::to_string(max_key_size_) +
                                                       " bytes, LMDB's limit"));
  unsigned put_flags = options_.duplicates == DuplicateMode::kReplace ? 0 : MDB_NOOVERWRITE;
  int rc = 0;
  Status status = Write(
      key,
      [&](MDB_txn* txn) {
        MDB_val k{key.size(), key.data()};
        MDB_val v{value.size(), value.data()};
        return mdb_put(txn, dbi_, &k, &v, put_flags);
      },
      &rc);
  if (!status.ok()) return status;
  if (rc == MDB_KEYEXIST) {
    if (options_.duplicates == DuplicateMode::kWarn)
      LogWarning(full_name() + ": duplicate entry: \"" + std::string(UpToNul(key)) + "\"");
    return Status::OK();
  }
  if (rc != 0) return KeyError("error updating", key, rc);
  return Status::OK();
}

Status LmdbTable::Delete(std::string_view raw_key) {
  std::string key = PrepareKey(raw_key, options_);
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (mode_ == Mode::kReadOnly)
    return Status::Refused("table " + full_name() + ": database is open read-only");
  return nul_.Find(key, [&](const char* data, size_t size) {
    if (!KeyFits(size)) return Status::NotFound();  // cannot have been stored
    std::string stored(data, size);
    int rc = 0;
    Status status = Write(
        stored,
        [&](MDB_txn* txn) {
          MDB_val k{stored.size(), stored.data()};
          return mdb_del(txn, dbi_, &k, nullptr);
        },
        &rc);
    if (!status.ok()) return status;
    if (rc == MDB_NOTFOUND) return Status::NotFound();
    if (rc != 0) return KeyError("error deleting from", stored, rc);
    return Status::OK();
  });
}

Status LmdbTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (op == SequenceOp::kFirst) EndSequence();
  if (seq_cursor_ == nullptr) {
    if (op == SequenceOp::kNext) return Status::NotFound();
    MDB_txn* txn = build_txn_;
    if (mode_ == Mode::kBuild && txn == nullptr)
      return Status::TempError("table " + full_name() + ": build failed");
    if (mode_ != Mode::kBuild) {
      int rc;
      for (int attempt = 0;; ++attempt) {
        rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &seq_txn_);
        if (rc != MDB_MAP_RESIZED || attempt >= kMaxResizeRetries) break;
        mdb_env_set_mapsize(env_, 0);
      }
      if (rc != 0) {
        seq_txn_ = nullptr;
        return LmdbError("error seeking", rc);
      }
      txn = seq_txn_;
    }
    int rc = mdb_cursor_open(txn, dbi_, &seq_cursor_);
    if (rc != 0) {
      seq_cursor_ = nullptr;
      EndSequence();
      return LmdbError("error seeking", rc);
    }
  }
  ScopedFileLock lock(mode_ == Mode::kBuild ? -1 : lock_fd_, LockStyle::kFcntl, LockOp::kShared, db_path_);
  if (!lock.status().ok()) return lock.status();
  MDB_val k, v;
  int rc = mdb_cursor_get(seq_cursor_, &k, &v, op == SequenceOp::kFirst ? MDB_FIRST : MDB_NEXT);
  if (rc == MDB_NOTFOUND) {
    EndSequence();
    return Status::NotFound();
  }
  if (rc != 0) {
    EndSequence();
    return LmdbError("error seeking", rc);
  }
  key->assign(UpToNul(std::string_view(static_cast<const char*>(k.mv_data), k.mv_size)));
  value->assign(UpToNul(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size)));
  return Status::OK();
}

Status LmdbTable::Close() {
  if (closed_) return Status::OK();
  Status result;
  EndSequence();
  if (mode_ == Mode::kBuild) {
    int rc = build_txn_ != nullptr ? mdb_txn_commit(build_txn_) : EINVAL;  // frees the handle
    build_txn_ = nullptr;
    if (rc == 0) rc = mdb_env_sync(env_, 1);
    if (rc != 0) result = LmdbError("error writing", rc);
    if (result.ok()) {
      mdb_env_close(env_);
      env_ = nullptr;
      result = replacement_->Commit();
    }
  } else if (mode_ == Mode::kPerOperation) {
    int rc = mdb_env_sync(env_, 1);
    if (rc != 0) result = LmdbError("error writing", rc);
  }
  Abandon();
  return result;
}

}  // namespace

Status OpenLmdbTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  auto lmdb = std::make_unique<LmdbTable>(std::string(name), options);
  Status status = lmdb->Open();
  if (!status.ok()) return status;
  *table = std::move(lmdb);
  return Status::OK();
}

}  // namespace mctable
