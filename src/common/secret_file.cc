// ReadSecretFile: open, fstat the descriptor, check mode and owner, read.
// Fails with a ConfigError naming the file; never prints what it read.
#include "common/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "common/read_file.h"

namespace mctable {
namespace {

constexpr size_t kMaxSecretFileSize = 64 * 1024;

std::string OctalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Status ReadSecretFile(const std::string& path, std::string_view what, std::string* contents) {
  contents->clear();
  const std::string label = std::string(what) + " " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::ConfigError("open " + label + ": " + std::strerror(errno));
  struct stat st;
  Status result;
  if (::fstat(fd, &st) != 0) {
    result = Status::ConfigError("stat " + label + ": " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    result = Status::ConfigError(label + ": not a regular file");
  } else if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
    result = Status::ConfigError(label + ": refused: mode " + OctalMode(st.st_mode) +
                                 " lets other users read or change a secret (use chmod 0600, "
                                 "or 0640 with a group of only its readers)");
  } else if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    result = Status::ConfigError(label + ": refused: owned by uid " + std::to_string(st.st_uid) +
                                 ", which is neither root nor this process's user");
  } else if (static_cast<size_t>(st.st_size) > kMaxSecretFileSize) {
    result = Status::ConfigError(label + ": too large for a secret (" + std::to_string(st.st_size) +
                                 " bytes)");
  } else if (int error = ReadOpenFile(fd, kMaxSecretFileSize, contents); error != 0) {
    result = Status::ConfigError(error == EFBIG ? label + ": too large for a secret"
                                                : "read " + label + ": " + std::strerror(error));
  }
  ::close(fd);
  if (!result.ok()) {
    ::explicit_bzero(contents->data(), contents->size());
    contents->clear();
  }
  return result;
}

}  // namespace mctable
