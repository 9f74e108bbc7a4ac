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
// - truncate (build): everything goes into one transaction in a temporary
//   file beside /path.lmdb; Close() commits it and renames it over
//   /path.lmdb, so a reader sees the old table or the new one, never half.
//   Like postmap, the builder holds a shared lock on the existing /path.lmdb
//   (after a momentary exclusive one) so other writers wait until it is done.
//   Destroying the table without Close() abandons the build.
// Errors: a missing or corrupt file is a ConfigError "open database
// /path.lmdb: REASON"; LMDB errors during operations are TempErrors naming
// the table; a duplicate key on update warns "lmdb:/path: duplicate entry:
// "key"" (kWarn, keeps the first), replaces (kReplace) or keeps silently.
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "table/file_lock.h"
#include "table/key_folding.h"
#include "table/nul_convention.h"

namespace mctable {
namespace {

constexpr size_t kInitialMapSize = 16 * 1024 * 1024;  // Postfix's lmdb_map_size default
constexpr size_t kMaxMapSize = size_t{1} << 44;
constexpr int kMaxResizeRetries = 64;

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
  struct LoggedWrite {
    bool is_delete;
    std::string key;  // as stored, NUL included when written with one
    std::string value;
    unsigned put_flags;
  };

  Status OpenEnvironment(const std::string& file, bool read_only);
  Status LmdbError(const char* what, int rc) const {
    return Status::TempError(std::string(what) + " " + full_name() + ": " + mdb_strerror(rc));
  }
  // Runs fn(txn) in a read transaction (or in the build transaction).
  template <typename Fn>
  Status WithReadTxn(Fn fn);
  Status LookupInTxn(MDB_txn* txn, std::string_view raw_key, std::string* value);
  // Runs fn(txn) -> mdb rc in a write transaction, growing the map on
  // MDB_MAP_FULL; *rc gets fn's result (MDB_KEYEXIST and MDB_NOTFOUND pass).
  template <typename Fn>
  Status WithWriteTxn(Fn fn, int* rc);
  Status GrowMap();
  Status ReplayBuildLog();
  void EndSequence();
  void Abandon();

  OpenOptions options_;
  std::string db_path_;
  std::string temp_path_;  // build mode: the file being written
  Mode mode_ = Mode::kReadOnly;
  NulConvention nul_;
  std::string key_buffer_;  // reused by lookups
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  int lock_fd_ = -1;             // the file others lock: db_path_
  bool own_lock_fd_ = false;     // build mode opens db_path_ itself
  size_t map_size_ = kInitialMapSize;
  MDB_txn* read_txn_ = nullptr;  // reset between reads, renewed for each
  MDB_txn* build_txn_ = nullptr;
  std::vector<LoggedWrite> build_log_;
  MDB_txn* seq_txn_ = nullptr;  // own read transaction of first/next
  MDB_cursor* seq_cursor_ = nullptr;
  bool closed_ = false;
};

Status LmdbTable::OpenEnvironment(const std::string& file, bool read_only) {
  int rc = mdb_env_create(&env_);
  if (rc == 0) rc = mdb_env_set_mapsize(env_, map_size_);
  unsigned flags = MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS;
  if (read_only) flags |= MDB_RDONLY;
  if (mode_ == Mode::kBuild || (mode_ == Mode::kPerOperation && options_.create)) flags |= MDB_NOSYNC;
  if (rc == 0) rc = mdb_env_open(env_, file.c_str(), flags, 0644);
  if (rc != 0) return Status::ConfigError("open database " + db_path_ + ": " + mdb_strerror(rc));
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
  if (!own_lock_fd_ && mdb_env_get_fd(env_, &lock_fd_) != 0) lock_fd_ = -1;
  return Status::OK();
}

Status LmdbTable::Open() {
  if (options_.truncate)
    mode_ = Mode::kBuild;
  else if (options_.read_write || options_.create)
    mode_ = Mode::kPerOperation;
  else
    mode_ = Mode::kReadOnly;

  if (mode_ == Mode::kPerOperation && !options_.create && access(db_path_.c_str(), F_OK) != 0)
    return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
  if (mode_ != Mode::kBuild) return OpenEnvironment(db_path_, mode_ == Mode::kReadOnly);

  // Build: lock out other writers of the existing table as postmap does:
  // a momentary exclusive lock (no one is mid-write), then a shared one.
  int existing = ::open(db_path_.c_str(), O_RDWR | O_CLOEXEC);
  mode_t mode = 0;
  if (existing >= 0) {
    lock_fd_ = existing;
    own_lock_fd_ = true;
    Status locked = LockFile(lock_fd_, LockStyle::kFcntl, LockOp::kExclusive, db_path_);
    if (locked.ok()) locked = LockFile(lock_fd_, LockStyle::kFcntl, LockOp::kShared, db_path_);
    if (!locked.ok()) return locked;
    struct stat st;
    if (fstat(existing, &st) == 0) mode = st.st_mode & 07777;
  } else if (errno != ENOENT) {
    return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0644 & ~mask;
  }
  std::string temp = db_path_ + ".XXXXXX";
  int temp_fd = mkstemp(temp.data());
  if (temp_fd < 0) return Status::ConfigError("create " + temp + ": " + strerror(errno));
  temp_path_ = temp;
  fchmod(temp_fd, mode);
  ::close(temp_fd);  // LMDB opens it again; an empty file is a new database
  Status status = OpenEnvironment(temp_path_, false);
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

// Releases everything without committing the build.
void LmdbTable::Abandon() {
  EndSequence();
  if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
  read_txn_ = nullptr;
  if (build_txn_ != nullptr) mdb_txn_abort(build_txn_);
  build_txn_ = nullptr;
  if (env_ != nullptr) mdb_env_close(env_);
  env_ = nullptr;
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  temp_path_.clear();
  if (own_lock_fd_ && lock_fd_ >= 0) ::close(lock_fd_);  // drops the lock
  lock_fd_ = -1;
  closed_ = true;
}

template <typename Fn>
Status LmdbTable::WithReadTxn(Fn fn) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (mode_ == Mode::kBuild) {
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

Status LmdbTable::ReplayBuildLog() {
  for (int attempt = 0;; ++attempt) {
    int rc = mdb_txn_begin(env_, nullptr, 0, &build_txn_);
    if (rc != 0) return LmdbError("begin transaction for", rc);
    for (const LoggedWrite& w : build_log_) {
      MDB_val k{w.key.size(), const_cast<char*>(w.key.data())};
      if (w.is_delete) {
        rc = mdb_del(build_txn_, dbi_, &k, nullptr);
      } else {
        MDB_val v{w.value.size(), const_cast<char*>(w.value.data())};
        rc = mdb_put(build_txn_, dbi_, &k, &v, w.put_flags);
      }
      if (rc == MDB_KEYEXIST || rc == MDB_NOTFOUND) rc = 0;
      if (rc != 0) break;
    }
    if (rc == 0) return Status::OK();
    mdb_txn_abort(build_txn_);
    build_txn_ = nullptr;
    if (rc != MDB_MAP_FULL || attempt >= kMaxResizeRetries) return LmdbError("error updating", rc);
    Status grown = GrowMap();
    if (!grown.ok()) return grown;
  }
}

template <typename Fn>
Status LmdbTable::WithWriteTxn(Fn fn, int* result) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (mode_ == Mode::kReadOnly)
    return Status::Refused("table " + full_name() + ": database is open read-only");
  for (int attempt = 0;; ++attempt) {
    int rc;
    if (mode_ == Mode::kBuild) {
      if (build_txn_ == nullptr) return Status::TempError("table " + full_name() + ": build failed");
      rc = fn(build_txn_);
      if (rc != MDB_MAP_FULL) {
        *result = rc;
        return Status::OK();
      }
      // The transaction is dead: start over with a bigger map and replay.
      EndSequence();
      mdb_txn_abort(build_txn_);
      build_txn_ = nullptr;
      if (attempt >= kMaxResizeRetries) return LmdbError("error updating", rc);
      Status status = GrowMap();
      if (status.ok()) status = ReplayBuildLog();
      if (!status.ok()) return status;
      continue;
    }
    ScopedFileLock lock(lock_fd_, LockStyle::kFcntl, LockOp::kExclusive, db_path_);
    if (!lock.status().ok()) return lock.status();
    if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);  // no stale snapshot across a resize
    read_txn_ = nullptr;
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == MDB_MAP_RESIZED && attempt < kMaxResizeRetries) {
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc != 0) return LmdbError("error updating", rc);
    rc = fn(txn);
    if (rc != 0 && rc != MDB_KEYEXIST && rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
    } else {
      int commit_rc = mdb_txn_commit(txn);
      if (commit_rc != 0) rc = commit_rc;
    }
    if (rc == MDB_MAP_FULL && attempt < kMaxResizeRetries) {
      Status status = GrowMap();
      if (!status.ok()) return status;
      continue;
    }
    if (rc != 0 && rc != MDB_KEYEXIST && rc != MDB_NOTFOUND) return LmdbError("error updating", rc);
    *result = rc;
    return Status::OK();
  }
}

// Looks one key up inside an open read transaction, trying the NUL forms
// in Postfix's order.
Status LmdbTable::LookupInTxn(MDB_txn* txn, std::string_view raw_key, std::string* value) {
  std::string& key = key_buffer_;
  key = PrepareKey(raw_key, options_);
  // size + 1 covers the NUL that std::string keeps after its data.
  for (int with_nul = 1; with_nul >= 0; --with_nul) {
    if (with_nul ? !nul_.try_with_nul() : !nul_.try_without_nul()) continue;
    MDB_val k{key.size() + with_nul, key.data()};
    if (k.mv_size == 0) continue;  // LMDB has no empty keys
    MDB_val v;
    int rc = mdb_get(txn, dbi_, &k, &v);
    if (rc == 0) {
      with_nul ? nul_.FoundWithNul() : nul_.FoundWithoutNul();
      value->assign(UpToNul(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size)));
      return Status::OK();
    }
    if (rc != MDB_NOTFOUND) return LmdbError("error reading", rc);
  }
  return Status::NotFound();
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
  unsigned put_flags = options_.duplicates == DuplicateMode::kReplace ? 0 : MDB_NOOVERWRITE;
  int rc = 0;
  Status status = WithWriteTxn(
      [&](MDB_txn* txn) {
        MDB_val k{key.size(), key.data()};
        MDB_val v{value.size(), value.data()};
        return mdb_put(txn, dbi_, &k, &v, put_flags);
      },
      &rc);
  if (!status.ok()) return status;
  if (mode_ == Mode::kBuild && rc == 0) build_log_.push_back({false, key, value, put_flags});
  if (rc == MDB_KEYEXIST && options_.duplicates == DuplicateMode::kWarn)
    LogWarning(full_name() + ": duplicate entry: \"" + std::string(UpToNul(key)) + "\"");
  return Status::OK();
}

Status LmdbTable::Delete(std::string_view raw_key) {
  std::string key = PrepareKey(raw_key, options_);
  bool deleted = false;
  for (int with_nul = 1; with_nul >= 0 && !deleted; --with_nul) {
    if (with_nul ? !nul_.try_with_nul() : !nul_.try_without_nul()) continue;
    std::string stored = key;
    if (with_nul) stored.push_back('\0');
    if (stored.empty()) continue;
    int rc = 0;
    Status status = WithWriteTxn(
        [&](MDB_txn* txn) {
          MDB_val k{stored.size(), stored.data()};
          return mdb_del(txn, dbi_, &k, nullptr);
        },
        &rc);
    if (!status.ok()) return status;
    if (rc == 0) {
      deleted = true;
      with_nul ? nul_.FoundWithNul() : nul_.FoundWithoutNul();
      if (mode_ == Mode::kBuild) build_log_.push_back({true, stored, {}, 0});
    }
  }
  return deleted ? Status::OK() : Status::NotFound();
}

Status LmdbTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (closed_) return Status::TempError("table " + full_name() + ": table is closed");
  if (op == SequenceOp::kFirst) EndSequence();
  if (seq_cursor_ == nullptr) {
    if (op == SequenceOp::kNext) return Status::NotFound();
    MDB_txn* txn = build_txn_;
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
    int rc = build_txn_ != nullptr ? mdb_txn_commit(build_txn_) : EINVAL;
    build_txn_ = nullptr;
    if (rc == 0) rc = mdb_env_sync(env_, 1);
    if (rc != 0) {
      result = LmdbError("error writing", rc);
    } else if (rename(temp_path_.c_str(), db_path_.c_str()) != 0) {
      result = Status::TempError("rename " + temp_path_ + " to " + db_path_ + ": " + strerror(errno));
    } else {
      temp_path_.clear();  // now the table itself: keep it
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
