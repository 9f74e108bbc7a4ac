// LineReader; see line_reader.h.
#include "common/line_reader.h"

#include "common/interrupt.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>

namespace mctable {
namespace {

std::string_view WithoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

LineReader::LineReader(int fd) : fd_(fd), window_(new char[kWindow]) { data_ = window_.get(); }

LineReader::LineReader(std::string_view text) : data_(text.data()), end_(text.size()), eof_(true) {}

LineReader::~LineReader() = default;

bool LineReader::Fill() {
  if (eof_) return false;
  if (start_ > 0) {
    std::memmove(window_.get(), window_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  for (;;) {
    ssize_t n = ::read(fd_, window_.get() + end_, kWindow - end_);
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

bool LineReader::Next(std::string_view* line) {
  long_line_.clear();
  for (;;) {
    const char* begin = data_ + start_;
    const void* nl = std::memchr(begin, '\n', end_ - start_);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - begin;
      start_ += len + 1;
      ++lines_read_;
      if (long_line_.empty()) {
        *line = WithoutCr(std::string_view(begin, len));
      } else {
        long_line_.append(begin, len);
        *line = WithoutCr(long_line_);
      }
      return true;
    }
    if (fd_ >= 0 && start_ == 0 && end_ == kWindow) {  // a line longer than the window
      long_line_.append(begin, end_);
      start_ = end_ = 0;
    }
    if (!Fill()) {
      if (end_ > start_ || !long_line_.empty()) {
        long_line_.append(data_ + start_, end_ - start_);
        start_ = end_;
        ++lines_read_;
        *line = WithoutCr(long_line_);
        return true;
      }
      return false;
    }
  }
}

bool LineReader::Next(std::string* line) {
  std::string_view view;
  if (!Next(&view)) return false;
  line->assign(view);
  return true;
}

}  // namespace mctable
