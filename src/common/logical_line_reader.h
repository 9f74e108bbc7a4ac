// LogicalLineReader: Postfix's logical-line rules (readllines()), shared by
// the config reader (main.cf syntax) and the source reader (postmap's input
// format), over a LineReader.
//
// Rules (observed with Debian's Postfix 3.7):
// - Blank lines, whitespace-only lines and lines whose first non-blank
//   character is "#" are ignored, also between a line and its continuation:
//   they do not end a logical line.
// - A line that starts with whitespace continues the logical line before
//   it: the newline is dropped and the continuation's leading whitespace is
//   kept.
// - A logical line that starts with whitespace (nothing before it to
//   continue) is dropped with Postfix's warning "LABEL: logical line must
//   not start with whitespace: "TEXT"" (TEXT: its first 30 bytes, "..."
//   when longer).
// - The line number given with a logical line is that of its first
//   physical line.
// CRLF input reads as LF input (line_reader.h).  A read error ends the
// input and shows in error().
#ifndef MCTABLE_COMMON_LOGICAL_LINE_READER_H_
#define MCTABLE_COMMON_LOGICAL_LINE_READER_H_

#include <string>
#include <string_view>

#include "common/line_reader.h"

namespace mctable {

class LogicalLineReader {
 public:
  // `label` names the input in warnings (a path, or "stdin").
  LogicalLineReader(std::string label, int fd) : label_(std::move(label)), lines_(fd) {}
  // `text` must outlive the reader.
  LogicalLineReader(std::string label, std::string_view text)
      : label_(std::move(label)), lines_(text) {}

  // Sets *line and *first_line_number to the next logical line; false at
  // the end of the input.
  bool Next(std::string* line, int* first_line_number);
  int error() const { return lines_.error(); }
  // Logical lines dropped so far with the "must not start with whitespace"
  // warning.
  size_t dropped() const { return dropped_; }
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  LineReader lines_;
  // A physical line read ahead that starts the next logical line.
  bool have_pending_ = false;
  std::string pending_;
  int pending_line_number_ = 0;
  size_t dropped_ = 0;
};

// Whitespace as Postfix's ISSPACE: space, \t, \n, \v, \f, \r.
inline bool IsPostfixSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

}  // namespace mctable

#endif  // MCTABLE_COMMON_LOGICAL_LINE_READER_H_
