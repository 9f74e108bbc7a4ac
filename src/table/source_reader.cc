// SourceReader; see source_reader.h for the format and its messages.
#include "table/source_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/interrupt.h"
#include "common/read_file.h"
#include "mctable/log.h"

namespace mctable {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Comment, blank and whitespace-only lines vanish from the input.
bool IsIgnorable(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  return i == line.size() || line[i] == '#';
}

}  // namespace

Status SourceReader::OpenFile(const std::string& path, const Options& options,
                              std::unique_ptr<SourceReader>* reader) {
  std::string text;
  bool open_failed = false;
  if (int err = ReadWholeFile(path, &text, &open_failed))
    return open_failed ? Status::ConfigError("open " + path + ": " + strerror(err))
                       : Status::TempError("read " + path + ": " + strerror(err));
  *reader = std::make_unique<SourceReader>(path, std::move(text), options);
  return Status::OK();
}

Status SourceReader::OpenDescriptor(int fd, const std::string& label, const Options& options,
                                    std::unique_ptr<SourceReader>* reader) {
  *reader = std::make_unique<SourceReader>(label, std::string(), options);
  (*reader)->fd_ = fd;
  (*reader)->eof_ = false;
  return Status::OK();
}

Status SourceReader::status() const {
  if (read_errno_ == 0) return Status::OK();
  return Status::TempError("read " + label_ + ": " + strerror(read_errno_));
}

bool SourceReader::NextPhysicalLine(std::string_view* line) {
  size_t newline;
  while ((newline = text_.find('\n', offset_)) == std::string::npos && !eof_) {
    text_.erase(0, offset_);
    offset_ = 0;
    char buffer[65536];
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR && InterruptSignal() == 0) continue;
    if (n <= 0) {
      if (n < 0) read_errno_ = errno;
      eof_ = true;
    } else {
      text_.append(buffer, static_cast<size_t>(n));
    }
  }
  if (offset_ >= text_.size()) return false;
  size_t end = newline == std::string::npos ? text_.size() : newline;
  *line = std::string_view(text_).substr(offset_, end - offset_);
  offset_ = newline == std::string::npos ? text_.size() : newline + 1;
  ++lines_read_;
  return true;
}

bool SourceReader::NextLogicalLine(std::string* line, int* first_line_number) {
  line->clear();
  bool started = false;
  if (have_pending_) {
    have_pending_ = false;
    line->assign(pending_);
    *first_line_number = pending_line_number_;
    started = true;
  }
  std::string_view physical;
  while (NextPhysicalLine(&physical)) {
    if (IsIgnorable(physical)) continue;
    if (started && !IsSpace(physical[0])) {
      // Starts the next logical line: keep it for the next call.
      have_pending_ = true;
      pending_ = physical;
      pending_line_number_ = lines_read_;
      return true;
    }
    if (!started) {
      *first_line_number = lines_read_;
      started = true;
    }
    line->append(physical);
  }
  return started;
}

bool SourceReader::Next(SourceRecord* record) {
  std::string line;
  int line_number = 0;
  while (NextLogicalLine(&line, &line_number)) {
    if (IsSpace(line[0])) {
      LogWarning(label_ + ": logical line must not start with whitespace: \"" + line.substr(0, 30) +
                 (line.size() > 30 ? "..." : "") + "\"");
      ++skipped_;
      continue;
    }
    // The key ends at whitespace outside quotes; a backslash protects the
    // next character, so \" neither opens nor closes a quote.
    size_t key_end = 0;
    bool in_quotes = false;
    for (; key_end < line.size(); ++key_end) {
      char c = line[key_end];
      if (c == '\\') {
        if (++key_end >= line.size()) break;
      } else if (IsSpace(c)) {
        if (!in_quotes) break;
      } else if (c == '"') {
        in_quotes = !in_quotes;
      }
    }
    if (in_quotes) {
      LogWarning(label_ + ", line " + std::to_string(line_number) + ": unbalanced '\"' in '" + line +
                 "' -- ignoring this line");
      ++skipped_;
      continue;
    }
    key_end = std::min(key_end, line.size());
    size_t value_start = key_end;
    while (value_start < line.size() && IsSpace(line[value_start])) ++value_start;
    size_t value_end = line.size();
    while (value_end > value_start && IsSpace(line[value_end - 1])) --value_end;
    std::string key = line.substr(0, key_end);
    std::string value = line.substr(value_start, value_end - value_start);
    if (key.empty() || value.empty()) {
      LogWarning(label_ + ", line " + std::to_string(line_number) +
                 ": expected format: key whitespace value" +
                 (options_.format_warning_says_ignoring ? " -- ignoring this line" : ""));
      ++skipped_;
      continue;
    }
    if (key.back() == ':')
      LogWarning(label_ + ", line " + std::to_string(line_number) +
                 ": record is in \"key: value\" format; is this an alias file?");
    record->key = std::move(key);
    record->value = std::move(value);
    record->line_number = line_number;
    return true;
  }
  return false;
}

}  // namespace mctable
