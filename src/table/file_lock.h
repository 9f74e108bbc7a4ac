// Whole-file advisory locks in the style of Postfix's myflock().
//
// Postfix's dict_lmdb locks the .lmdb file itself with fcntl() record locks
// (MYFLOCK_STYLE_FCNTL) because LMDB runs with MDB_NOLOCK: a shared lock
// around each read, an exclusive lock around each write, and for a bulk
// (postmap) update an exclusive lock taken momentarily and downgraded to a
// shared one held until close.  Using the same lock style on the same file
// makes mctable and postmap exclude each other.
//
// Locks block (F_SETLKW) and are retried on EINTR.  Failure returns an
// error Status naming the file.  fcntl() locks belong to the process: closing
// any descriptor of the file drops them, so each table keeps one descriptor.
#ifndef MCTABLE_TABLE_FILE_LOCK_H_
#define MCTABLE_TABLE_FILE_LOCK_H_

#include <string>

#include "mctable/status.h"

namespace mctable {

enum class LockOp { kShared, kExclusive, kUnlock };
enum class LockStyle { kFcntl, kFlock };

Status LockFile(int fd, LockStyle style, LockOp op, const std::string& path_for_messages);

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
