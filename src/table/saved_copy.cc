// A table file's bytes kept aside to undo an update in place; see saved_copy.h.
#include "table/saved_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mctable {
namespace {

// Copies `size` bytes from offset 0 of `from` to offset 0 of `to` (named
// in errors as "copy FROM_NAME to TO_NAME: REASON"); a source shorter than
// `size` is an error.
Status CopyFileBytes(int from, int to, off_t size, const std::string& from_name, const std::string& to_name) {
  off_t in_offset = 0, out_offset = 0;
  while (in_offset < size) {
    const size_t want = static_cast<size_t>(size - in_offset);
    ssize_t n = copy_file_range(from, &in_offset, to, &out_offset, want, 0);
    if (n > 0) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      char buffer[1 << 16];  // no copy_file_range between these files: by hand
      ssize_t r = pread(from, buffer, want < sizeof buffer ? want : sizeof buffer, in_offset);
      if (r > 0 && pwrite(to, buffer, static_cast<size_t>(r), out_offset) == r) {
        in_offset += r;
        out_offset += r;
        continue;
      }
      n = r;  // 0: the source ended early; otherwise errno says why
    }
    return Status::TempError("copy " + from_name + " to " + to_name + ": " +
                             (n == 0 ? std::string("file is shorter than it was") : strerror(errno)));
  }
  return Status::OK();
}

}  // namespace

SavedCopy::~SavedCopy() {
  if (copy_fd_ >= 0) ::close(copy_fd_);
  if (!copy_path_.empty() && !keep_) (void)unlink(copy_path_.c_str());
}

Status SavedCopy::Save(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::TempError("stat " + path_ + ": " + strerror(errno));
  std::string name = path_ + ".XXXXXX";
  copy_fd_ = mkostemp(name.data(), O_CLOEXEC);
  if (copy_fd_ < 0) return Status::TempError("create " + name + ": " + strerror(errno));
  copy_path_ = name;
  size_ = st.st_size;  // mkostemp made the copy 0600: only its owner reads the records
  Status status = CopyFileBytes(fd, copy_fd_, size_, path_, copy_path_);
  if (status.ok() && fsync(copy_fd_) != 0) status = Status::TempError("sync " + copy_path_ + ": " + strerror(errno));
  return status;
}

Status SavedCopy::Restore(int fd) {
  if (copy_fd_ < 0) return Status::TempError("restore " + path_ + ": nothing was saved");
  Status status = CopyFileBytes(copy_fd_, fd, size_, copy_path_, path_);
  if (status.ok() && ftruncate(fd, size_) != 0)
    status = Status::TempError("truncate " + path_ + ": " + strerror(errno));
  if (status.ok() && fsync(fd) != 0) status = Status::TempError("sync " + path_ + ": " + strerror(errno));
  if (!status.ok()) {
    keep_ = true;
    return Status::TempError(status.message() + "; the saved copy stays at " + copy_path_);
  }
  return status;
}

}  // namespace mctable
