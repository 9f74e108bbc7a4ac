// Whole-file advisory locks in the style of Postfix's myflock().
//
// Postfix's dict_lmdb locks the .lmdb file itself with fcntl() record locks
// (MYFLOCK_STYLE_FCNTL) because LMDB runs with MDB_NOLOCK: a shared lock
// around each read, an exclusive lock around each write.  Postfix's dict_db
// on Linux uses flock() on the .db file.  Using the same lock style on the
// same file makes mctable and postmap exclude each other.
//
// Locks block (F_SETLKW, LOCK_SH/LOCK_EX) and are retried on EINTR, unless
// the process was asked to stop (common/interrupt.h): then the wait ends
// with an error.  Failure returns a TempError naming the file.  fcntl()
// locks belong to the process: closing any descriptor of the file drops
// them, so each table keeps one descriptor.
#ifndef MCTABLE_TABLE_FILE_LOCK_H_
#define MCTABLE_TABLE_FILE_LOCK_H_

#include <string>

#include "mctable/status.h"

namespace mctable {

enum class LockOp { kShared, kExclusive, kUnlock };
enum class LockStyle { kFcntl, kFlock };

Status LockFile(int fd, LockStyle style, LockOp op, const std::string& path_for_messages);

// Locks the file now at `path` with `op`.  *fd is a descriptor of it
// (opened with open_flags when *fd < 0).  A rebuild may rename a new file
// over `path` while this waits: then the lock is dropped, *fd is replaced
// by a descriptor of the new file and the lock taken again, so on success
// *fd is locked and is the file at `path`; *replaced says whether *fd
// changed.  Errors: the open's ConfigError "open database PATH: REASON"
// (ENOENT included), or the lock's TempError.
Status LockCurrentFile(const std::string& path, int open_flags, LockStyle style, LockOp op, int* fd,
                       bool* replaced);

// Holds `op` on fd for the scope (if fd >= 0); unlocks on destruction.
class ScopedFileLock {
 public:
  ScopedFileLock(int fd, LockStyle style, LockOp op, const std::string& path);
  ~ScopedFileLock();
  ScopedFileLock(const ScopedFileLock&) = delete;
  ScopedFileLock& operator=(const ScopedFileLock&) = delete;
  const Status& status() const { return status_; }

 private:
  int fd_;
  LockStyle style_;
  std::string path_;
  Status status_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_FILE_LOCK_H_
