// SourceReader: reads postmap's source format ("key whitespace value"
// lines), as Postfix 3.7's postmap and texthash: read it.
//
// Format (observed with Debian's Postfix 3.7 and its readllines()):
// - Logical lines as Postfix joins them (common/logical_line_reader.h:
//   comments, blank lines, continuation lines, the "logical line must not
//   start with whitespace" warning); CRLF input reads as LF input.
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

#include "common/logical_line_reader.h"
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
    // smtputf8_enable (OpenOptions::utf8): a logical line that is not valid
    // UTF-8 is skipped with Postfix's warning "FILE, line N: non-UTF-8
    // input "LINE" -- ignoring this line" (the bytes shown escaped).
    bool require_utf8 = false;
  };

  // Reads `path`.  A missing or unreadable file: ConfigError "open PATH: REASON".
  static Status OpenFile(const std::string& path, const Options& options,
                         std::unique_ptr<SourceReader>* reader);
  // Reads everything from `fd` (stdin for postmap -i); `label` names it in
  // warnings ("stdin", as Postfix says).  A read error: TempError.
  static Status OpenDescriptor(int fd, const std::string& label, const Options& options,
                               std::unique_ptr<SourceReader>* reader);
  // For tests and callers that already have the text.
  SourceReader(std::string label, std::string text, const Options& options);

  // The next well-formed record, or false at the end.
  bool Next(SourceRecord* record);

  const std::string& label() const { return label_; }
  // Logical lines skipped so far with a warning (format, non-UTF-8,
  // starting with whitespace).
  size_t skipped() const { return skipped_ + lines_->dropped(); }
  // After Next() has returned false: OK, or the read error that ended the input.
  Status status() const;

 private:
  SourceReader(std::string label, int fd, const Options& options);

  std::string label_;
  std::string text_;  // a file's contents; empty for a descriptor
  Options options_;
  std::unique_ptr<LogicalLineReader> lines_;
  size_t skipped_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SOURCE_READER_H_
