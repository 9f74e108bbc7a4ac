// fcntl()/flock() whole-file locks; see file_lock.h.
#include "table/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/interrupt.h"

namespace mctable {
namespace {

constexpr int kMaxReplacedFiles = 100;  // a file replaced this often is a fault

}  // namespace

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
  } while (rc < 0 && errno == EINTR && (op == LockOp::kUnlock || InterruptSignal() == 0));
  if (rc < 0)
    return Status::TempError(path + (op == LockOp::kUnlock ? ": unlock dictionary: " : ": lock dictionary: ") +
                             strerror(errno));
  return Status::OK();
}

Status LockCurrentFile(const std::string& path, int open_flags, LockStyle style, LockOp op, int* fd,
                       bool* replaced) {
  *replaced = false;
  for (int attempt = 0;; ++attempt) {
    if (*fd < 0) {
      *fd = ::open(path.c_str(), open_flags | O_CLOEXEC);
      if (*fd < 0) return Status::ConfigError("open database " + path + ": " + strerror(errno));
    }
    Status status = LockFile(*fd, style, op, path);
    if (!status.ok()) return status;
    struct stat locked, current;
    if (fstat(*fd, &locked) != 0) return Status::TempError(path + ": lock dictionary: " + strerror(errno));
    if (stat(path.c_str(), &current) == 0 && current.st_dev == locked.st_dev &&
        current.st_ino == locked.st_ino && locked.st_nlink > 0)
      return Status::OK();
    // A rebuild renamed a new file into place while we waited.
    (void)LockFile(*fd, style, LockOp::kUnlock, path);
    ::close(*fd);
    *fd = -1;
    *replaced = true;
    if (attempt >= kMaxReplacedFiles)
      return Status::TempError(path + ": lock dictionary: file keeps being replaced");
  }
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
