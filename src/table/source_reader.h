// SourceReader: reads postmap's source format ("key whitespace value"
// lines), as Postfix 3.7's postmap and texthash: read it.
//
// Format (observed with Debian's Postfix 3.7 and its readllines()):
// - Blank lines, whitespace-only lines and lines whose first non-blank
//   character is '#' are ignored, also between a line and its continuation.
// - A line that starts with whitespace continues the previous logical line;
//   the newline is dropped and the continuation's leading whitespace kept.
//   Continuation text with no line before it is skipped with the warning
//   "FILE: logical line must not start with whitespace: "TEXT"".
// - The key ends at the first whitespace outside double quotes; a backslash
//   protects the next character.  Quotes and backslashes stay in the key
//   (Postfix leaves "a b"@example.com quoted).  An unbalanced quote skips the
//   line: "FILE, line N: unbalanced '"' in 'LINE' -- ignoring this line".
// - The value is the rest, with surrounding whitespace removed.  A missing
//   key or value skips the line: "FILE, line N: expected format: key
//   whitespace value" (texthash adds " -- ignoring this line").
// - A key ending in ':' is kept, with the warning "FILE, line N: record is
//   in "key: value" format; is this an alias file?".
// N is the number of the first physical line of the logical line.  Warnings
// go to the log.  A file is read into memory at open; a descriptor (stdin,
// or a source file a build streams) is read through a window as records are
// taken, so memory stays flat for any input size, and a read error ends
// the input and shows in status() (also EINTR once the process was asked to
// stop, common/interrupt.h).
#ifndef MCTABLE_TABLE_SOURCE_READER_H_
#define MCTABLE_TABLE_SOURCE_READER_H_

#include <memory>
#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

struct SourceRecord {
  std::string key;
  std::string value;
  int line_number = 0;
};

class SourceReader {
 public:
  struct Options {
    // texthash: says " -- ignoring this line" after the format warning.
    bool format_warning_says_ignoring = false;
  };

  // Reads `path`.  A missing or unreadable file: ConfigError "open PATH: REASON".
  static Status OpenFile(const std::string& path, const Options& options,
                         std::unique_ptr<SourceReader>* reader);
  // Reads everything from `fd` (stdin for postmap -i); `label` names it in
  // warnings ("stdin", as Postfix says).  A read error: TempError.
  static Status OpenDescriptor(int fd, const std::string& label, const Options& options,
                               std::unique_ptr<SourceReader>* reader);
  // For tests and callers that already have the text.
  SourceReader(std::string label, std::string text, const Options& options)
      : label_(std::move(label)), text_(std::move(text)), options_(options) {}

  // The next well-formed record, or false at the end.
  bool Next(SourceRecord* record);

  const std::string& label() const { return label_; }
  // Logical lines skipped so far with a format warning.
  size_t skipped() const { return skipped_; }
  // After Next() has returned false: OK, or the read error that ended the input.
  Status status() const;

 private:
  // The next logical line and its first line number; false at the end.
  bool NextLogicalLine(std::string* line, int* first_line_number);
  bool NextPhysicalLine(std::string_view* line);

  std::string label_;
  std::string text_;
  Options options_;
  size_t offset_ = 0;
  int lines_read_ = 0;
  // A physical line read ahead that starts the next logical line.
  bool have_pending_ = false;
  std::string pending_;   // a copy: the buffer below moves when refilled
  // Streaming input (OpenDescriptor): text_ holds a window of the input.
  int fd_ = -1;
  bool eof_ = true;
  int read_errno_ = 0;
  int pending_line_number_ = 0;
  size_t skipped_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SOURCE_READER_H_
