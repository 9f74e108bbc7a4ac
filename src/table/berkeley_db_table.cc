// hash:/path and btree:/path: the Berkeley DB 5.3 file /path.db, as Debian's
// "postmap hash:/path" and "postmap btree:/path" make it (Postfix's dict_db
// and mkmap_db, linked against the same libdb5.3).
//
// Conventions (dict_db.c, checked against Debian's Postfix 3.7 with strace)
// - File: one DB_HASH (h_nelem 4096, as Postfix sets) or DB_BTREE database,
//   no environment files; BDB's own messages are captured, not printed.
// - NUL: keys and values are written with a trailing NUL unless
//   NulMode::kOmit (Linux does not define DB_NO_TRAILING_NULL); with
//   kTypeDefault a lookup or delete tries "key\0" then "key" and sticks to
//   the first form found.  Values and sequence keys are cut at the first NUL.
// - fold_keys folds the key (table/key_folding.h) for lookup, update and delete.
// - First/next: btree in key order (bytewise), hash in the file's order;
//   both are BDB cursor order, so postmap -s prints the same sequence.
// - Duplicates: kWarn keeps the first and warns "/path.db: duplicate entry:
//   "key"" (Postfix names the .db file here), kReplace overwrites, kIgnore
//   keeps the first silently.
//
// Locking (Linux Postfix: INTERNAL_LOCK is MYFLOCK_STYLE_FLOCK, so flock(),
// not fcntl() as for lmdb): the .db file itself is locked whole with flock().
// Postfix takes a shared lock while opening, a shared lock around each
// lookup and each first/next step, an exclusive lock around each update or
// delete of a table opened with per-record locks (postmap -d, postscreen),
// and postmap -i and postmap builds hold an exclusive lock from before the
// open until after the final sync.  This table does the same, with these
// additions so that several writers stay correct:
// - Each process has a private BDB cache, so a handle can hold pages
//   another process has since rewritten.  Every write batch therefore opens
//   the database afresh under the exclusive lock, writes, syncs and only
//   then unlocks; a read batch reopens it when the file's identity, size,
//   mtime or ctime changed (writes by this table always move the mtime).
// - After every lock the file at the path is compared with the locked one;
//   when a rebuild has renamed a new file into place, the new file is
//   opened and locked instead.
// - A first/next walk holds the shared lock from the first step to the end
//   (or to the next other operation), so it sees one consistent table.
//
// Modes
// - read-only: Update/Delete are Refused.
// - read_write: per-operation locking as above; create makes a missing or
//   zero-length file (built aside and linked into place, so a racing
//   creator cannot see a half-made file).
// - truncate (build): postmap truncates /path.db in place under its
//   exclusive lock, which stalls every reader for the whole build and
//   leaves Postfix daemons with stale caches of the old file.  This builds a
//   temporary file beside /path.db instead (replacement_file.h: lock, mode
//   and owner), and Close() syncs it and renames it into place: readers see
//   the old table or the new one, and Postfix daemons notice the replaced
//   file (st_nlink == 0) and restart.  Destroying the table without Close()
//   abandons the build.  The records are not written as they come: they
//   are spooled and sorted (sorted_spool.h) and Close() writes them in key
//   order (btree) or hash-bucket order (hash), several times faster than
//   source order through the cache, in less memory.  Equal keys keep their
//   source order, so the duplicate rules are postmap's, and the "duplicate
//   entry" warnings are printed in source order, after the source's own
//   warnings (docs/postfix-differences.md).  A lookup, walk or delete
//   during a build first writes what was spooled.
// - bulk_update (postmap -i): the table's own file is updated in place
//   under an exclusive lock held from before the open until after the final
//   sync in Close(), as postmap -i does: other writers (postmap -i and -d,
//   Postfix's verify and postscreen caches) wait for that lock on the same
//   file and then see the update.  (Updating a copy and renaming it into
//   place lost their updates: postmap flock()s the file it opened and then
//   lets BDB open the path, so one that waited during the rename wrote into
//   the new file under the old file's lock, unexcluded from the next
//   writer; verify and postscreen went on writing the old file until they
//   noticed the replacement.)  The file is first saved beside the
//   table (saved_copy.h).  A write that fails (a full disk) would leave
//   half-written pages that no one can open; instead the update stops at
//   that key, the saved bytes are written back into the same file and the
//   error names the key: the table is as it was, without any of the
//   session's records.  Saving needs as much free space as the table and
//   time to copy it, as the copy did; an update killed outright (SIGKILL,
//   power loss) leaves the table as far as it got, like postmap -i, and
//   the saved copy beside it.
// - A new file (read_write + create) gets OpenOptions::new_file_mode.
// Errors: a missing, unreadable, corrupt or wrong-type file is a ConfigError
// "open database /path.db: REASON (BDB's message)"; BDB errors during
// operations are TempErrors naming the table, and for a write the key.
#ifdef MCTABLE_HAVE_BDB
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "table/expected_records.h"
#include "table/file_lock.h"
#include "table/key_folding.h"
#include "table/key_text.h"
#include "table/nul_convention.h"
#include "table/replacement_file.h"
#include "table/saved_copy.h"
#include "table/sorted_spool.h"

namespace mctable {
namespace {

constexpr u_int32_t kHashElements = 4096;          // Postfix's DICT_DB_NELM

// A file cut short (a full disk, a bad copy) opens without complaint and a
// hash table then reads its missing pages as empty: lost keys would be
// silently "not found".  The metadata page says how many pages the file
// has, so compare: returns an empty string or why the file is damaged.
std::string TruncationProblem(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};  // BDB has opened it; nothing more to learn here
  unsigned char meta[36];
  struct stat st;
  bool have = ::pread(fd, meta, sizeof meta, 0) == static_cast<ssize_t>(sizeof meta) &&
              ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!have) return {};
  // DBMETA: magic at 12, pagesize at 20, last_pgno at 32, in the byte order
  // of the machine that wrote it (the magic number tells which).
  auto word = [&](size_t at, bool swap) {
    uint32_t v;
    memcpy(&v, meta + at, sizeof v);
    return swap ? __builtin_bswap32(v) : v;
  };
  uint32_t magic = word(12, false);
  bool swap = false;
  if (magic != DB_HASHMAGIC && magic != DB_BTREEMAGIC) {
    swap = true;
    magic = word(12, true);
    if (magic != DB_HASHMAGIC && magic != DB_BTREEMAGIC) return {};  // BDB judges the rest
  }
  uint64_t page_size = word(20, swap);
  uint64_t pages = uint64_t{word(32, swap)} + 1;
  if (page_size == 0 || static_cast<uint64_t>(st.st_size) >= pages * page_size) return {};
  return "file is truncated: " + std::to_string(st.st_size) + " bytes, its metadata says " +
         std::to_string(pages * page_size);
}
constexpr u_int32_t kReadCacheSize = 128 * 1024;   // Postfix's db_read_buf default
constexpr u_int32_t kBuildCacheSize = 16 << 20;    // Postfix's db_create_buf default
constexpr u_int32_t kBuildHashPageSize = 16384;
constexpr u_int32_t kBuildBtreePageSize = 8192;
// A fresh build sorts its records (sorted_spool.h) in runs of this much
// memory, then writes them in page order, which needs only a small cache:
// measured at 1M records, 4 MB builds as fast as 16 MB.  The run buffer is
// given back before the cache fills, so the peak is the larger of the two.
constexpr size_t kSpoolRunBytes = 8 << 20;
constexpr u_int32_t kSortedBuildCacheSize = 4 << 20;
// Duplicate warnings of a sorted build are held to be printed in source
// order, up to this many; past it they are printed as found.
constexpr size_t kMaxHeldWarnings = 10000;
constexpr int kMaxCreateAttempts = 100;

// BDB reports details through an error callback; keep them so the Status
// can carry them instead of BDB writing to stderr.  A page write that fails
// is retried before BDB gives up with a message about its cache ("unable to
// allocate space from the buffer cache"): the first message since the
// operation began says why ("write: ...: File too large"), the last one
// what failed.
thread_local std::string first_bdb_message, last_bdb_message;

void CaptureBdbMessage(const DB_ENV*, const char*, const char* message) {
  last_bdb_message = message != nullptr ? message : "";
  if (first_bdb_message.empty()) first_bdb_message = last_bdb_message;
}

void ClearBdbMessages() {
  first_bdb_message.clear();
  last_bdb_message.clear();
}

// " (FIRST; LAST)", " (MESSAGE)" or "".
std::string BdbMessages() {
  if (last_bdb_message.empty()) return {};
  if (first_bdb_message == last_bdb_message) return " (" + last_bdb_message + ")";
  return " (" + first_bdb_message + "; " + last_bdb_message + ")";
}

// What identifies one state of the file: a change means another process
// wrote it (or replaced it).
struct FileSignature {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  struct timespec mtime = {};
  struct timespec ctime = {};
  bool operator==(const FileSignature& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
           ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

FileSignature SignatureOf(const struct stat& st) {
  FileSignature s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

bool TimeAfter(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

class BerkeleyDbTable : public Table {
 public:
  BerkeleyDbTable(std::string type, std::string path, const OpenOptions& options)
      : Table(type, path),
        options_(options),
        db_type_(type == "btree" ? DB_BTREE : DB_HASH),
        db_path_(path + ".db"),
        nul_(options.nul_mode, /*write_default_with_nul=*/true) {}
  ~BerkeleyDbTable() override { Abandon(); }

  Status Open();

  Status Lookup(std::string_view key, std::string* value) override;
  Status Update(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override;
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;
  void UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) override;
  void DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) override;
  Status Close() override;

 private:
  enum class Mode { kReadOnly, kPerOperation, kBuild, kBulkUpdate };
  // The lock (or the build's file) is held from Open() to Close(), not
  // taken per operation.
  bool HeldForSession() const { return mode_ == Mode::kBuild || mode_ == Mode::kBulkUpdate; }

  Status OpenError(const std::string& file, int rc) const {
    std::string text = "open database " + file + ": " + db_strerror(rc);
    text += BdbMessages();
    return Status::ConfigError(text);
  }
  Status DbError(const char* what, int rc) const {
    std::string text = std::string(what) + " " + full_name() + ": " + db_strerror(rc);
    text += BdbMessages();
    return Status::TempError(text);
  }
  // "error writing hash:/path: key "k": REASON".
  Status KeyError(const char* what, std::string_view key, int rc) const {
    std::string text = std::string(what) + " " + full_name() + ": key " + QuotedKey(key) + ": " +
                       db_strerror(rc);
    text += BdbMessages();
    return Status::TempError(text);
  }
  Status ClosedError() const { return Status::TempError("table " + full_name() + ": table is closed"); }

  // Opens `file` as a BDB handle into *db (flags: DB_RDONLY, DB_CREATE...).
  // expected_records > 0: a new file shaped for that many (a build from a
  // source file); 0: Postfix's parameters.
  Status OpenHandle(const std::string& file, u_int32_t flags, u_int32_t cache, DB** db,
                    size_t expected_records = 0);
  void CloseHandle();
  // Opens (or reopens) the descriptor that carries the locks.
  Status OpenLockFd();
  // Locks lock_fd_ with `op`, following a replaced file: on return the
  // locked descriptor is the file now at db_path_.  *replaced says whether
  // it had to switch files.
  Status LockCurrentFile(LockOp op, bool* replaced);
  void Unlock();
  // Makes db_ a handle that sees the file as it is now (lock held).
  Status Refresh(bool force);
  Status RecordSignature();
  // Creates an empty database at db_path_ if there is none (read_write+create).
  Status CreateIfMissing();
  Status CreateEmpty(const std::string& file, int mode);
  // bulk_update: takes the exclusive lock for the session, saves the file
  // and opens it for writing in place.
  Status BeginBulkUpdate();
  // bulk_update after a failed write (`cause`): drops the handle unsynced,
  // writes the saved bytes back and ends the session.  Returns `cause`, or
  // it with why the table could not be restored.
  Status RollBack(const Status& cause);
  // After a write: makes sure readers comparing signatures see a change.
  void MarkWritten();

  // One locked round of reads or writes (not in build mode).
  Status BeginRead();
  Status BeginWrite();
  Status EndWrite();

  // Single operations on the open handle, no locking.
  Status GetLocked(const std::string& folded_key, std::string* value);
  Status PutLocked(const std::string& folded_key, std::string_view value);
  // The bytes a record is stored as (the NUL convention above).
  void StoredForm(const std::string& folded_key, std::string_view raw_value, std::string* key,
                  std::string* value);
  // db->put of a stored record; *duplicate when the duplicate rule kept an
  // earlier one (the caller warns).  `folded_key` names it in errors.
  Status PutStored(std::string_view key, std::string_view value, const std::string& folded_key,
                   bool* duplicate);
  // A fresh build: writes what the spool holds into the file, in its
  // order, then prints the duplicate warnings in source order.
  Status FlushSpool();
  Status DelLocked(const std::string& folded_key);

  void EndSequence();
  void Abandon();

  OpenOptions options_;
  DBTYPE db_type_;
  std::string db_path_;
  std::unique_ptr<ReplacementFile> replacement_;  // build mode: the file being written
  std::unique_ptr<SortedSpool> spool_;            // a fresh build's records not yet written
  std::unique_ptr<SavedCopy> saved_;              // bulk_update: the file before the session
  bool changed_ = false;          // bulk_update: a write has reached the handle
  Status failure_;                // bulk_update: why the session was rolled back
  bool not_restored_ = false;     // ... and the saved bytes could not be put back
  Mode mode_ = Mode::kReadOnly;
  NulConvention nul_;
  DB* db_ = nullptr;
  int lock_fd_ = -1;
  bool locked_ = false;           // a lock is held outside an operation (build, walk)
  FileSignature signature_;       // of the file when db_ last saw it
  DBC* cursor_ = nullptr;
  bool closed_ = false;
};

Status BerkeleyDbTable::OpenHandle(const std::string& file, u_int32_t flags, u_int32_t cache,
                                   DB** result, size_t expected_records) {
  ClearBdbMessages();
  DB* db = nullptr;
  int rc = db_create(&db, nullptr, 0);
  if (rc != 0) return OpenError(file, rc);
  db->set_errcall(db, CaptureBdbMessage);
  db->set_cachesize(db, 0, cache, 0);
  if (expected_records == 0) {
    if (db_type_ == DB_HASH) db->set_h_nelem(db, kHashElements);
  } else if (db_type_ == DB_HASH) {
    // A build knows roughly how big the table gets: all buckets at once
    // instead of thousands of splits, and larger pages (fewer of them to
    // move through the 16 MB cache).  Any reader opens such a file.
    db->set_h_nelem(db, static_cast<u_int32_t>(std::min<size_t>(expected_records, 1u << 30)));
    db->set_pagesize(db, kBuildHashPageSize);
  } else {
    db->set_pagesize(db, kBuildBtreePageSize);
  }
  rc = db->open(db, nullptr, file.c_str(), nullptr, db_type_, flags, 0644);
  if (rc != 0) {
    db->close(db, DB_NOSYNC);
    return OpenError(file, rc);
  }
  if (std::string problem = TruncationProblem(file); !problem.empty()) {
    db->close(db, DB_NOSYNC);
    return Status::ConfigError("open database " + file + ": " + problem);
  }
  *result = db;
  return Status::OK();
}

void BerkeleyDbTable::CloseHandle() {
  EndSequence();
  if (db_ != nullptr) db_->close(db_, 0);
  db_ = nullptr;
}

Status BerkeleyDbTable::OpenLockFd() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
  locked_ = false;
  int flags = (mode_ == Mode::kReadOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  lock_fd_ = ::open(db_path_.c_str(), flags);
  if (lock_fd_ < 0) return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
  return Status::OK();
}

Status BerkeleyDbTable::LockCurrentFile(LockOp op, bool* replaced) {
  locked_ = false;
  int flags = mode_ == Mode::kReadOnly ? O_RDONLY : O_RDWR;
  return mctable::LockCurrentFile(db_path_, flags, LockStyle::kFlock, op, &lock_fd_, replaced);
}

void BerkeleyDbTable::Unlock() {
  if (lock_fd_ >= 0) (void)LockFile(lock_fd_, LockStyle::kFlock, LockOp::kUnlock, db_path_);
  locked_ = false;
}

Status BerkeleyDbTable::RecordSignature() {
  struct stat st;
  if (fstat(lock_fd_, &st) != 0) return Status::TempError("stat " + db_path_ + ": " + strerror(errno));
  signature_ = SignatureOf(st);
  return Status::OK();
}

Status BerkeleyDbTable::Refresh(bool force) {
  struct stat st;
  if (fstat(lock_fd_, &st) != 0) return Status::TempError("stat " + db_path_ + ": " + strerror(errno));
  if (!force && db_ != nullptr && SignatureOf(st) == signature_) return Status::OK();
  CloseHandle();
  Status status = OpenHandle(db_path_, mode_ == Mode::kReadOnly ? DB_RDONLY : 0, kReadCacheSize, &db_);
  if (!status.ok()) {
    // Not a configuration problem any more: the file was fine at open.
    return Status::TempError(status.message());
  }
  signature_ = SignatureOf(st);
  return Status::OK();
}

Status BerkeleyDbTable::CreateEmpty(const std::string& file, int mode) {
  DB* db = nullptr;
  Status status = OpenHandle(file, DB_CREATE | DB_EXCL, kReadCacheSize, &db);
  if (!status.ok()) return status;
  int fd = -1;
  if (db->fd(db, &fd) == 0)
    status = SetFileAttributes(fd, file, static_cast<mode_t>(mode), static_cast<uid_t>(-1),
                               static_cast<gid_t>(-1));
  int rc = db->close(db, 0);
  if (status.ok() && rc != 0) status = OpenError(file, rc);
  return status;
}

Status BerkeleyDbTable::CreateIfMissing() {
  for (int attempt = 0; attempt < kMaxCreateAttempts; ++attempt) {
    struct stat st;
    if (stat(db_path_.c_str(), &st) == 0) {
      if (st.st_size > 0) return Status::OK();
      // Zero-length (BDB cannot open it): remove it under an exclusive lock,
      // as Postfix's mkmap_db does, unless someone filled it meanwhile.
      int fd = ::open(db_path_.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) continue;
      Status locked = LockFile(fd, LockStyle::kFlock, LockOp::kExclusive, db_path_);
      struct stat again;
      if (locked.ok() && fstat(fd, &again) == 0 && again.st_size == 0 && again.st_nlink > 0) {
        LogWarning("removing zero-length database file: " + db_path_);
        unlink(db_path_.c_str());
      }
      ::close(fd);
      continue;
    }
    if (errno != ENOENT) return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
    // Made aside and linked into place, so no one sees a half-made file;
    // the ReplacementFile only lends its name and its clean-up.
    ReplacementFile aside(db_path_, LockStyle::kFlock, NewTableFileMode(options_));
    Status status = aside.ReserveTempName();
    if (!status.ok()) return status;
    status = CreateEmpty(aside.temp_path(), static_cast<int>(NewTableFileMode(options_)));
    if (!status.ok()) return status;
    // link() does not replace: a creator that won the race keeps its file.
    int rc = link(aside.temp_path().c_str(), db_path_.c_str());
    int saved = errno;
    if (rc != 0 && saved != EEXIST)
      return Status::ConfigError("create database " + db_path_ + ": " + strerror(saved));
    return Status::OK();
  }
  return Status::TempError("create database " + db_path_ + ": file keeps changing");
}

Status BerkeleyDbTable::Open() {
  if (options_.truncate)
    mode_ = Mode::kBuild;
  else if (options_.bulk_update && (options_.read_write || options_.create))
    mode_ = Mode::kBulkUpdate;
  else if (options_.read_write || options_.create)
    mode_ = Mode::kPerOperation;
  else
    mode_ = Mode::kReadOnly;

  if (mode_ != Mode::kBuild) {
    if (mode_ != Mode::kReadOnly && options_.create) {
      Status created = CreateIfMissing();
      if (!created.ok()) return created;
    }
    Status status = OpenLockFd();
    if (!status.ok()) return status;
    if (mode_ == Mode::kBulkUpdate) return BeginBulkUpdate();
    // Shared lock while opening, as dict_db does: no half-written view.
    bool replaced;
    status = LockCurrentFile(LockOp::kShared, &replaced);
    if (!status.ok()) return status;
    struct stat st;
    fstat(lock_fd_, &st);
    status = OpenHandle(db_path_, mode_ == Mode::kReadOnly ? DB_RDONLY : 0, kReadCacheSize, &db_);
    if (status.ok()) signature_ = SignatureOf(st);
    Unlock();
    return status;
  }

  // Build: beside the table, put in place by Close().
  replacement_ = std::make_unique<ReplacementFile>(db_path_, LockStyle::kFlock, NewTableFileMode(options_));
  Status status = replacement_->Begin();
  if (!status.ok()) return status;
  status = replacement_->ReserveTempName();
  if (status.ok())
    status = OpenHandle(replacement_->temp_path(), DB_CREATE | DB_EXCL, kSortedBuildCacheSize, &db_,
                        ExpectedRecords(name()));
  if (!status.ok()) return status;
  spool_ = std::make_unique<SortedSpool>(
      db_type_ == DB_BTREE ? SortedSpool::Order::kBytes : SortedSpool::Order::kHashBuckets,
      replacement_->directory(), kSpoolRunBytes);
  int fd = -1;
  int rc = db_->fd(db_, &fd);
  if (rc != 0) return DbError("open", rc);
  return replacement_->AdoptTemp(fd);
}

Status BerkeleyDbTable::BeginBulkUpdate() {
  bool replaced;
  Status status = LockCurrentFile(LockOp::kExclusive, &replaced);
  if (!status.ok()) return status;
  locked_ = true;  // until Close()
  saved_ = std::make_unique<SavedCopy>(db_path_);
  status = saved_->Save(lock_fd_);
  if (!status.ok())
    return Status::TempError("table " + full_name() + ": cannot save the table before updating it: " +
                             status.message());
  status = OpenHandle(db_path_, 0, kBuildCacheSize, &db_);
  if (status.ok()) status = RecordSignature();
  return status;
}

Status BerkeleyDbTable::RollBack(const Status& cause) {
  EndSequence();
  if (db_ != nullptr) db_->close(db_, DB_NOSYNC);  // what is cached must not reach the file
  db_ = nullptr;
  Status restored = saved_->Restore(lock_fd_);
  not_restored_ = !restored.ok();
  failure_ = restored.ok() ? cause
                           : Status::TempError(cause.message() + "; and " + full_name() +
                                               " could not be restored as it was: " + restored.message());
  if (restored.ok()) MarkWritten();  // readers must not trust what they cached during the update
  Abandon();
  return failure_;
}

void BerkeleyDbTable::MarkWritten() {
  // File timestamps are coarse (a clock tick): make sure readers that
  // compare signatures see this write even within the tick.
  struct stat after;
  if (fstat(lock_fd_, &after) == 0 && !TimeAfter(after.st_mtim, signature_.mtime)) {
    struct timespec times[2];
    times[0].tv_nsec = UTIME_OMIT;
    times[1] = signature_.mtime;
    if (++times[1].tv_nsec >= 1000000000) {
      times[1].tv_nsec = 0;
      ++times[1].tv_sec;
    }
    (void)futimens(lock_fd_, times);
  }
}

void BerkeleyDbTable::EndSequence() {
  if (cursor_ != nullptr) cursor_->close(cursor_);
  cursor_ = nullptr;
  if (locked_ && !HeldForSession()) Unlock();
}

void BerkeleyDbTable::Abandon() {
  if (closed_) return;
  EndSequence();
  if (mode_ == Mode::kBulkUpdate && changed_ && failure_.ok()) {
    // Destroyed without Close() (the caller gave up): the session's
    // writes are undone, as an abandoned build is.
    Status undone = RollBack(Status::TempError("table " + full_name() + ": update abandoned"));
    if (not_restored_) LogWarning(undone.message());
    return;
  }
  if (db_ != nullptr) db_->close(db_, mode_ == Mode::kBuild ? DB_NOSYNC : 0);
  db_ = nullptr;
  replacement_.reset();  // removes an unfinished build and drops its lock
  saved_.reset();        // removes the saved copy unless a restore failed
  if (lock_fd_ >= 0) ::close(lock_fd_);  // drops any lock
  lock_fd_ = -1;
  locked_ = false;
  closed_ = true;
}

Status BerkeleyDbTable::BeginRead() {
  if (!failure_.ok()) return failure_;
  if (closed_) return ClosedError();
  EndSequence();
  // A lookup or walk while building must see what was added so far.
  if (mode_ == Mode::kBuild) return FlushSpool();
  if (mode_ == Mode::kBulkUpdate) return Status::OK();  // locked, and no one else writes
  bool replaced;
  Status status = LockCurrentFile(LockOp::kShared, &replaced);
  if (status.ok()) status = Refresh(replaced);
  if (!status.ok()) Unlock();
  return status;
}

Status BerkeleyDbTable::BeginWrite() {
  if (!failure_.ok()) return failure_;
  if (closed_) return ClosedError();
  if (mode_ == Mode::kReadOnly)
    return Status::Refused("table " + full_name() + ": database is open read-only");
  EndSequence();
  if (mode_ == Mode::kBuild) return Status::OK();
  if (mode_ == Mode::kBulkUpdate) {
    changed_ = true;
    return Status::OK();
  }
  bool replaced;
  Status status = LockCurrentFile(LockOp::kExclusive, &replaced);
  // Another process may have written since our cache was filled: always
  // start from the file as it is.
  if (status.ok()) status = Refresh(/*force=*/true);
  if (!status.ok()) Unlock();
  return status;
}

Status BerkeleyDbTable::EndWrite() {
  if (HeldForSession()) return Status::OK();  // synced once, by Close()
  Status result;
  ClearBdbMessages();
  int rc = db_->sync(db_, 0);
  if (rc != 0) result = DbError("error writing", rc);
  MarkWritten();
  Status recorded = RecordSignature();
  if (result.ok() && !recorded.ok()) result = recorded;
  Unlock();
  return result;
}

Status BerkeleyDbTable::GetLocked(const std::string& key, std::string* value) {
  return nul_.Find(key, [&](const char* data, size_t size) {
    DBT k = {}, v = {};
    k.data = const_cast<char*>(data);
    k.size = static_cast<u_int32_t>(size);
    int rc = db_->get(db_, nullptr, &k, &v, 0);
    if (rc == DB_NOTFOUND || rc == DB_KEYEMPTY) return Status::NotFound();
    if (rc != 0) return DbError("error reading", rc);
    value->assign(UpToNul(std::string_view(static_cast<const char*>(v.data), v.size)));
    return Status::OK();
  });
}

void BerkeleyDbTable::StoredForm(const std::string& folded_key, std::string_view raw_value, std::string* key,
                                 std::string* value) {
  *key = folded_key;
  value->assign(UpToNul(raw_value));
  if (nul_.DecideForWrite()) {
    key->push_back('\0');
    value->push_back('\0');
  }
}

Status BerkeleyDbTable::PutStored(std::string_view key, std::string_view value, const std::string& folded_key,
                                  bool* duplicate) {
  DBT k = {}, v = {};
  k.data = const_cast<char*>(key.data());
  k.size = static_cast<u_int32_t>(key.size());
  v.data = const_cast<char*>(value.data());
  v.size = static_cast<u_int32_t>(value.size());
  u_int32_t flags = options_.duplicates == DuplicateMode::kReplace ? 0 : DB_NOOVERWRITE;
  ClearBdbMessages();
  int rc = db_->put(db_, nullptr, &k, &v, flags);
  *duplicate = rc == DB_KEYEXIST;
  if (rc != 0 && rc != DB_KEYEXIST) return KeyError("error writing", folded_key, rc);
  return Status::OK();
}

Status BerkeleyDbTable::PutLocked(const std::string& folded_key, std::string_view raw_value) {
  std::string key, value;
  StoredForm(folded_key, raw_value, &key, &value);
  bool duplicate = false;
  Status status = PutStored(key, value, folded_key, &duplicate);
  if (duplicate && options_.duplicates == DuplicateMode::kWarn)
    LogWarning(db_path_ + ": duplicate entry: \"" + folded_key + "\"");
  return status;
}

Status BerkeleyDbTable::FlushSpool() {
  if (!spool_) return Status::OK();
  struct HeldWarning {
    uint64_t sequence;
    std::string key;
  };
  std::vector<HeldWarning> held;
  auto print_held = [&]() {
    std::sort(held.begin(), held.end(), [](const HeldWarning& a, const HeldWarning& b) { return a.sequence < b.sequence; });
    for (const HeldWarning& w : held) LogWarning(db_path_ + ": duplicate entry: \"" + w.key + "\"");
    held.clear();
  };
  bool holding = true;
  std::string folded;
  Status status = spool_->Drain([&](std::string_view key, std::string_view value, uint64_t sequence) {
    folded.assign(UpToNul(key));
    bool duplicate = false;
    Status put = PutStored(key, value, folded, &duplicate);
    if (duplicate && options_.duplicates == DuplicateMode::kWarn) {
      if (holding && held.size() == kMaxHeldWarnings) {
        print_held();
        holding = false;
      }
      if (holding) held.push_back({sequence, folded});
      else LogWarning(db_path_ + ": duplicate entry: \"" + folded + "\"");
    }
    return put;
  });
  print_held();
  spool_.reset();
  return status;
}

Status BerkeleyDbTable::DelLocked(const std::string& key) {
  return nul_.Find(key, [&](const char* data, size_t size) {
    DBT k = {};
    k.data = const_cast<char*>(data);
    k.size = static_cast<u_int32_t>(size);
    ClearBdbMessages();
    int rc = db_->del(db_, nullptr, &k, 0);
    if (rc == DB_NOTFOUND || rc == DB_KEYEMPTY) return Status::NotFound();
    if (rc != 0) return KeyError("error deleting from", key, rc);
    return Status::OK();
  });
}

Status BerkeleyDbTable::Lookup(std::string_view key, std::string* value) {
  std::vector<LookupResult> results;
  std::string k(key);
  LookupMany(std::span<const std::string>(&k, 1), &results);
  if (results[0].status.ok()) *value = std::move(results[0].value);
  return results[0].status;
}

void BerkeleyDbTable::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  results->assign(keys.size(), LookupResult{Status::NotFound(), {}});
  if (keys.empty()) return;
  Status status = BeginRead();
  for (size_t i = 0; i < keys.size(); ++i) {
    LookupResult& r = (*results)[i];
    r.status = status.ok() ? GetLocked(PrepareKey(keys[i], options_), &r.value) : status;
  }
  if (status.ok() && !HeldForSession()) Unlock();
}

Status BerkeleyDbTable::Update(std::string_view key, std::string_view value) {
  std::vector<Status> results;
  KeyValue entry{std::string(key), std::string(value)};
  UpdateMany(std::span<const KeyValue>(&entry, 1), &results);
  return results[0];
}

void BerkeleyDbTable::UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) {
  results->assign(entries.size(), Status::OK());
  if (entries.empty()) return;
  Status status = BeginWrite();
  if (!status.ok()) {
    results->assign(entries.size(), status);
    return;
  }
  if (spool_) {
    std::string key, value;
    for (size_t i = 0; i < entries.size(); ++i) {
      StoredForm(PrepareKey(entries[i].key, options_), entries[i].value, &key, &value);
      (*results)[i] = spool_->Add(key, value);
    }
    return;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    (*results)[i] = PutLocked(PrepareKey(entries[i].key, options_), entries[i].value);
    if (mode_ == Mode::kBulkUpdate && !(*results)[i].ok()) {
      // Undone, the batch's earlier entries with the rest.
      results->assign(entries.size(), RollBack((*results)[i]));
      return;
    }
  }
  status = EndWrite();
  if (!status.ok())
    for (Status& r : *results) r = status;  // nothing is sure to have reached the file
}

Status BerkeleyDbTable::Delete(std::string_view key) {
  std::vector<Status> results;
  std::string k(key);
  DeleteMany(std::span<const std::string>(&k, 1), &results);
  return results[0];
}

void BerkeleyDbTable::DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) {
  results->assign(keys.size(), Status::NotFound());
  if (keys.empty()) return;
  Status status = BeginWrite();
  if (status.ok()) status = FlushSpool();  // a delete while building: after what came before
  if (!status.ok()) {
    results->assign(keys.size(), status);
    return;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    (*results)[i] = DelLocked(PrepareKey(keys[i], options_));
    if (mode_ == Mode::kBulkUpdate && (*results)[i].IsError()) {
      results->assign(keys.size(), RollBack((*results)[i]));
      return;
    }
  }
  status = EndWrite();
  if (!status.ok())
    for (Status& r : *results) r = status;
}

Status BerkeleyDbTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (closed_) return ClosedError();
  if (op == SequenceOp::kFirst || cursor_ == nullptr) {
    if (op == SequenceOp::kNext) return Status::NotFound();
    Status status = BeginRead();  // ends any walk; takes the shared lock
    if (!status.ok()) return status;
    if (!HeldForSession()) locked_ = true;  // held until the walk ends
    int rc = db_->cursor(db_, nullptr, &cursor_, 0);
    if (rc != 0) {
      cursor_ = nullptr;
      EndSequence();
      return DbError("error seeking", rc);
    }
  }
  DBT k = {}, v = {};
  int rc = cursor_->get(cursor_, &k, &v, op == SequenceOp::kFirst ? DB_FIRST : DB_NEXT);
  if (rc == DB_NOTFOUND) {
    EndSequence();
    return Status::NotFound();
  }
  if (rc != 0) {
    EndSequence();
    return DbError("error seeking", rc);
  }
  key->assign(UpToNul(std::string_view(static_cast<const char*>(k.data), k.size)));
  value->assign(UpToNul(std::string_view(static_cast<const char*>(v.data), v.size)));
  return Status::OK();
}

Status BerkeleyDbTable::Close() {
  if (closed_) return failure_;
  EndSequence();
  Status result;
  if (mode_ == Mode::kBulkUpdate) {
    ClearBdbMessages();
    int rc = db_->sync(db_, 0);  // writes the cache out and fsyncs
    int close_rc = db_->close(db_, 0);
    db_ = nullptr;
    if (rc == 0) rc = close_rc;
    // A sync that failed half-way left some pages written and some not.
    if (rc != 0) return RollBack(DbError("error writing", rc));
    MarkWritten();
    changed_ = false;  // kept: Abandon() below must not undo it
  } else if (mode_ == Mode::kBuild) {
    // On a failure the build is abandoned below: the temporary file goes,
    // the table stays as it was.
    result = FlushSpool();
    if (result.ok()) {
      ClearBdbMessages();
      int rc = db_->sync(db_, 0);  // writes the cache out and fsyncs
      int close_rc = db_->close(db_, 0);
      db_ = nullptr;
      if (rc == 0) rc = close_rc;
      result = rc != 0 ? DbError("error writing", rc) : replacement_->Commit();
    }
  } else if (db_ != nullptr) {
    // Writes were synced under their lock; only the handle remains.
    int rc = db_->close(db_, mode_ == Mode::kReadOnly ? DB_NOSYNC : 0);
    db_ = nullptr;
    if (rc != 0) result = DbError("close database", rc);
  }
  Abandon();
  return result;
}

template <const char* kType>
Status OpenBerkeleyDbTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  auto db = std::make_unique<BerkeleyDbTable>(kType, std::string(name), options);
  Status status = db->Open();
  if (!status.ok()) return status;
  *table = std::move(db);
  return Status::OK();
}

constexpr char kHash[] = "hash";
constexpr char kBtree[] = "btree";

}  // namespace

Status OpenHashTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  return OpenBerkeleyDbTable<kHash>(name, options, table);
}
Status OpenBtreeTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  return OpenBerkeleyDbTable<kBtree>(name, options, table);
}

}  // namespace mctable
#endif  // MCTABLE_HAVE_BDB
