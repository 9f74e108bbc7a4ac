// LineReader: reads newline-terminated lines from a file descriptor through
// a fixed buffer, so a batch job's memory does not grow with its input.
// The newline is removed; a last line without one is still returned.
// Lines longer than the buffer are assembled in a separate string.
#ifndef MCTABLE_CLI_LINE_READER_H_
#define MCTABLE_CLI_LINE_READER_H_

#include <string>

namespace mctable {

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // Sets *line to the next line; false at end of input.  A read error ends
  // the input and sets error().
  bool Next(std::string* line);
  int error() const { return error_; }

 private:
  bool Fill();
  int fd_;
  char buffer_[1 << 16];
  size_t start_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int error_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_CLI_LINE_READER_H_
