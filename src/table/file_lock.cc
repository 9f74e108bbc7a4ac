// fcntl()/flock() whole-file locks; see file_lock.h.
#include "table/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

namespace mctable {

Status LockFile(int fd, LockStyle style, LockOp op, const std::string& path) {
  int rc;
  do {
    if (style == LockStyle::kFcntl) {
      struct flock lock = {};
      lock.l_type = op == LockOp::kShared ? F_RDLCK : op == LockOp::kExclusive ? F_WRLCK : F_UNLCK;
      lock.l_whence = SEEK_SET;  // start 0, length 0: the whole file, as it grows
      rc = fcntl(fd, F_SETLKW, &lock);
    } else {
      rc = flock(fd, op == LockOp::kShared ? LOCK_SH : op == LockOp::kExclusive ? LOCK_EX : LOCK_UN);
    }
  } while (rc < 0 && errno == EINTR);
  if (rc < 0)
    return Status::TempError(path + (op == LockOp::kUnlock ? ": unlock dictionary: " : ": lock dictionary: ") +
                             strerror(errno));
  return Status::OK();
}

ScopedFileLock::ScopedFileLock(int fd, LockStyle style, LockOp op, const std::string& path)
    : fd_(fd), style_(style), path_(path) {
  if (fd_ >= 0) {
    status_ = LockFile(fd_, style_, op, path_);
    if (!status_.ok()) fd_ = -1;
  }
}

ScopedFileLock::~ScopedFileLock() {
  if (fd_ >= 0) (void)LockFile(fd_, style_, LockOp::kUnlock, path_);
}

}  // namespace mctable
