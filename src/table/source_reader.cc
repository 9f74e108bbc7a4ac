// SourceReader; see source_reader.h for the format and its messages.
#include "table/source_reader.h"

#include <string.h>

#include "common/casefold.h"
#include "common/read_file.h"
#include "mctable/log.h"

namespace mctable {

SourceReader::SourceReader(std::string label, std::string text, const Options& options)
    : label_(std::move(label)), text_(std::move(text)), options_(options),
      lines_(std::make_unique<LogicalLineReader>(label_, std::string_view(text_))) {}

SourceReader::SourceReader(std::string label, int fd, const Options& options)
    : label_(std::move(label)), options_(options),
      lines_(std::make_unique<LogicalLineReader>(label_, fd)) {}

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
  reader->reset(new SourceReader(label, fd, options));
  return Status::OK();
}

Status SourceReader::status() const {
  if (lines_->error() == 0) return Status::OK();
  return Status::TempError("read " + label_ + ": " + strerror(lines_->error()));
}

bool SourceReader::Next(SourceRecord* record) {
  std::string line;
  int line_number = 0;
  while (lines_->Next(&line, &line_number)) {
    if (options_.require_utf8 && !IsValidUtf8(line)) {
      LogWarning(label_ + ", line " + std::to_string(line_number) + ": non-UTF-8 input \"" +
                 PrintableBytes(line) + "\" -- ignoring this line");
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
      } else if (IsPostfixSpace(c)) {
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
    while (value_start < line.size() && IsPostfixSpace(line[value_start])) ++value_start;
    size_t value_end = line.size();
    while (value_end > value_start && IsPostfixSpace(line[value_end - 1])) --value_end;
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
