// LineReader: physical lines, from text in memory or from a file
// descriptor read through a fixed window (so a batch job's memory does not
// grow with its input).  The one line splitter behind mctable -q - / -d -
// (keys), the source reader (postmap's input) and the config reader
// (main.cf syntax), through logical_line_reader.h for the last two.
//
// What it guarantees
// - A line ends at "\n" or at the end of the input; a last line without
//   "\n" is still a line, an empty input has none.
// - The line ending is removed, and so is a "\r" just before it (or at the
//   end of the input): CRLF input reads as LF input, in every mode.  A "\r"
//   elsewhere stays in the line.
// - Lines longer than the window are assembled in a separate string.
// How it fails: a read error ends the input and sets error() (an errno
// value); EINTR is retried.
#ifndef MCTABLE_COMMON_LINE_READER_H_
#define MCTABLE_COMMON_LINE_READER_H_

#include <memory>
#include <string>
#include <string_view>

namespace mctable {

class LineReader {
 public:
  // Reads `fd` (not closed here).
  explicit LineReader(int fd);
  // Splits `text`, which must outlive the reader.
  explicit LineReader(std::string_view text);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets *line to the next line, valid until the next call; false at the
  // end of the input.
  bool Next(std::string_view* line);
  // The same, copied into *line.
  bool Next(std::string* line);
  int error() const { return error_; }
  // How many lines Next has returned.
  int lines_read() const { return lines_read_; }

 private:
  static constexpr size_t kWindow = 1 << 16;
  bool Fill();

  int fd_ = -1;
  std::unique_ptr<char[]> window_;  // descriptor input
  const char* data_ = nullptr;      // window_ or the caller's text
  size_t start_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int error_ = 0;
  int lines_read_ = 0;
  std::string long_line_;  // a line longer than the window
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_LINE_READER_H_
