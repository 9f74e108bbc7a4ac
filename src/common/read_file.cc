#include "common/read_file.h"

#include <errno.h>
#include <fcntl.h>
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
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int read_errno = errno;
      ::close(fd);
      return read_errno;
    }
    text->append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

}  // namespace mctable
