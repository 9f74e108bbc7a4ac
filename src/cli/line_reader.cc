#include "cli/line_reader.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>

#include "common/interrupt.h"

namespace mctable {

bool LineReader::Fill() {
  if (eof_) return false;
  if (start_ > 0) {
    std::memmove(buffer_, buffer_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  for (;;) {
    ssize_t n = ::read(fd_, buffer_ + end_, sizeof(buffer_) - end_);
    if (n < 0 && errno == EINTR && InterruptSignal() == 0) continue;  // else: asked to stop
    if (n < 0) error_ = errno;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }
}

bool LineReader::Next(std::string* line) {
  line->clear();
  for (;;) {
    const void* nl = std::memchr(buffer_ + start_, '\n', end_ - start_);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - (buffer_ + start_);
      line->append(buffer_ + start_, len);
      start_ += len + 1;
      return true;
    }
    if (end_ - start_ == sizeof(buffer_)) {  // a line longer than the buffer
      line->append(buffer_ + start_, end_ - start_);
      start_ = end_ = 0;
    }
    if (!Fill()) {
      if (end_ > start_) {
        line->append(buffer_ + start_, end_ - start_);
        start_ = end_;
        return true;
      }
      return !line->empty();
    }
  }
}

}  // namespace mctable
