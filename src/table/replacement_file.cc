// Builds beside the table and renamed into place; see replacement_file.h.
#include "table/replacement_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table/temp_file_registry.h"

namespace mctable {

mode_t NewTableFileMode(const OpenOptions& options) {
  if (options.new_file_mode >= 0) return static_cast<mode_t>(options.new_file_mode) & 07777;
  mode_t mask = umask(0);
  umask(mask);
  return 0644 & ~mask;
}

Status SetFileAttributes(int fd, const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::TempError("stat " + path + ": " + strerror(errno));
  bool other_owner = (uid != static_cast<uid_t>(-1) && uid != st.st_uid) ||
                     (gid != static_cast<gid_t>(-1) && gid != st.st_gid);
  if (other_owner && fchown(fd, uid, gid) != 0)
    return Status::ConfigError("cannot give " + path + " the owner " + std::to_string(uid) + ":" +
                               std::to_string(gid) + " of the table it replaces: " + strerror(errno));
  if ((st.st_mode & 07777) != mode || other_owner) {
    if (fchmod(fd, mode) != 0) return Status::ConfigError("chmod " + path + ": " + strerror(errno));
  }
  return Status::OK();
}

ReplacementFile::~ReplacementFile() {
  if (!temp_path_.empty()) (void)unlink(temp_path_.c_str());
  ForgetTemp();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // drops the lock
}

void ReplacementFile::ForgetTemp() {
  UnregisterTempFile(registry_slot_);
  registry_slot_ = -1;
  temp_path_.clear();
}

Status ReplacementFile::Begin() {
  int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Status::OK();  // a new table
  if (fd < 0) return Status::ConfigError("open database " + path_ + ": " + strerror(errno));
  bool replaced;
  Status status = LockCurrentFile(path_, O_RDWR, lock_style_, LockOp::kShared, &fd, &replaced);
  if (!status.ok()) {
    if (fd >= 0) ::close(fd);
    return status;
  }
  lock_fd_ = fd;
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::TempError("stat " + path_ + ": " + strerror(errno));
  existed_ = true;
  mode_ = st.st_mode & 07777;
  uid_ = st.st_uid;
  gid_ = st.st_gid;
  return Status::OK();
}

Status ReplacementFile::CreateTemp(int* fd_out) {
  std::string name = path_ + ".XXXXXX";
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Status::ConfigError("create " + name + ": " + strerror(errno));
  temp_path_ = name;
  registry_slot_ = RegisterTempFile(temp_path_);
  Status status = AdoptTemp(fd);
  if (status.ok() && fd_out != nullptr) {
    *fd_out = fd;
  } else {
    ::close(fd);
  }
  return status;
}

Status ReplacementFile::ReserveTempName() {
  std::string name = path_ + ".XXXXXX";
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Status::ConfigError("create " + name + ": " + strerror(errno));
  ::close(fd);
  (void)unlink(name.c_str());
  temp_path_ = name;
  registry_slot_ = RegisterTempFile(temp_path_);
  return Status::OK();
}

Status ReplacementFile::AdoptTemp(int fd) {
  if (existed_) return SetFileAttributes(fd, temp_path_, mode_, uid_, gid_);
  return SetFileAttributes(fd, temp_path_, new_file_mode_, static_cast<uid_t>(-1),
                           static_cast<gid_t>(-1));
}

std::string ReplacementFile::directory() const {
  const size_t slash = path_.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path_.substr(0, slash);
}

Status ReplacementFile::Commit() {
  if (temp_path_.empty()) return Status::TempError("rename into " + path_ + ": no file was built");
  if (rename(temp_path_.c_str(), path_.c_str()) != 0)
    return Status::TempError("rename " + temp_path_ + " to " + path_ + ": " + strerror(errno));
  ForgetTemp();
  // The rename itself must survive a crash, or the old table comes back.
  const std::string dir = directory();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    int rc = fsync(dir_fd);
    int saved = errno;
    ::close(dir_fd);
    if (rc != 0 && saved != EINVAL)
      return Status::TempError("sync directory " + dir + ": " + strerror(saved));
  }
  return Status::OK();
}

}  // namespace mctable
