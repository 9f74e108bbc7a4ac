#include "common/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

namespace mctable {

int ReadWholeFile(const std::string& path, std::string* text, bool* open_failed) {
  text->clear();
  *open_failed = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *open_failed = true;
    return errno;
  }
  int result = ReadOpenFile(fd, static_cast<size_t>(-1), text);
  ::close(fd);
  return result;
}

int ReadOpenFile(int fd, size_t limit, std::string* text) {
  char buffer[65536];
  int result = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      result = errno;
      break;
    }
    if (static_cast<size_t>(n) > limit - text->size()) {
      result = EFBIG;
      break;
    }
    text->append(buffer, static_cast<size_t>(n));
  }
  ::explicit_bzero(buffer, sizeof buffer);
  return result;
}

}  // namespace mctable
