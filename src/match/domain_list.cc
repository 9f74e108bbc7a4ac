// DomainList: the memcache "domain" parameter as a Postfix string match
// list (string_list_init with MATCH_FLAG_RETURN).
//
// What it guarantees
// - Parsing follows Postfix 3.7's match_list: patterns separated by commas
//   and whitespace outside {braces}; "!" prefixes toggle negation; a
//   "/file/name" is replaced by the patterns of its lines (lines whose
//   first character is "#" are skipped) with the negation of its "!"
//   applied to each; a pattern that is not bracketed ("[...]") and holds
//   a ":" is a type:table; anything else is a name compared without
//   regard to case (Postfix's casefold(): ASCII, or Unicode under utf8).
//   No parent-domain or wildcard matching.
// - Match stops at the first pattern that matches and answers "matched"
//   unless that pattern is negated.  It allocates nothing for name
//   patterns, nor for ASCII domains in utf8 mode.
//
// How it fails
// - Create: "open file FILE: REASON" or "match_list_parse: read file
//   FILE: REASON" for a pattern file, the table's own
//   open error for a type:table, "ORIGIN: no pattern after '!'".  All are
//   ConfigErrors: the domain list is an optimisation that must not silently
//   let keys through or hold them back.
// - Match: a table lookup error is logged as Postfix does ("ORIGIN:
//   TYPE:NAME: table lookup problem") and returned unchanged.
#include "match/domain_list.h"

#include <cerrno>
#include <cstring>

#include "common/brace_syntax.h"
#include "common/casefold.h"
#include "common/read_file.h"
#include "mctable/log.h"

namespace mctable {
namespace {

// Pattern files may name other pattern files; Postfix would recurse
// forever on a file that includes itself.
constexpr int kMaxFileDepth = 32;

// `pattern` is already folded.
bool EqualsIgnoringAsciiCase(std::string_view domain, std::string_view pattern) {
  if (domain.size() != pattern.size()) return false;
  for (size_t i = 0; i < domain.size(); ++i)
    if (AsciiLower(domain[i]) != pattern[i]) return false;
  return true;
}

Status ReadPatternFile(const std::string& path, std::string* content) {
  bool open_failed = false;
  int err = ReadWholeFile(path, content, &open_failed);
  if (err == 0) return Status::OK();
  // Postfix words the read failure with its function name.
  return Status::ConfigError((open_failed ? "open file " : "match_list_parse: read file ") + path +
                             ": " + std::strerror(err));
}

}  // namespace

DomainList::~DomainList() = default;

Status DomainList::Create(std::string_view patterns, std::string_view origin, bool utf8,
                          const ListedTableOpener& open_table, std::unique_ptr<DomainList>* out) {
  std::unique_ptr<DomainList> list(new DomainList());
  list->origin_ = std::string(origin);
  list->utf8_ = utf8;
  Status s = list->AddPatterns(patterns, false, open_table, 0);
  if (!s.ok()) return s;
  *out = std::move(list);
  return Status::OK();
}

Status DomainList::AddPatterns(std::string_view text, bool negated,
                               const ListedTableOpener& open_table, int file_depth) {
  size_t pos = 0;
  for (;;) {
    std::string_view token = NextTokenOutsideBraces(text, &pos);
    if (token.empty()) return Status::OK();
    if (token.front() == '#') {
      // Postfix ignores the rest of the line but says so: a "#" inside a
      // list is more likely a mistake than a comment.
      std::string_view rest = pos < text.size() ? text.substr(pos + 1) : std::string_view();
      while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
      LogWarning(origin_ + ": comment at end of line is not supported: " + std::string(token) + " " +
                 std::string(rest));
      return Status::OK();
    }
    bool pattern_negated = negated;
    std::string_view item = token;
    while (!item.empty() && item.front() == '!') {
      pattern_negated = !pattern_negated;
      item.remove_prefix(1);
    }
    if (item.empty()) return Status::ConfigError(origin_ + ": no pattern after '!'");

    if (item.front() == '/') {
      std::string path(item);
      if (file_depth >= kMaxFileDepth)
        return Status::ConfigError("open file " + path + ": pattern files nested more than " +
                                   std::to_string(kMaxFileDepth) + " deep");
      std::string content;
      Status read = ReadPatternFile(path, &content);
      if (!read.ok()) return read;
      // Lines whose first character is "#" are comments; an indented "#"
      // is caught by the tokenizer's end-of-line comment rule instead.
      size_t line_start = 0;
      while (line_start < content.size()) {
        size_t newline = content.find('\n', line_start);
        size_t line_end = newline == std::string::npos ? content.size() : newline;
        std::string_view line(content.data() + line_start, line_end - line_start);
        line_start = line_end + 1;
        if (!line.empty() && line.front() == '#') continue;
        Status s = AddPatterns(line, pattern_negated, open_table, file_depth + 1);
        if (!s.ok()) return s;
      }
      continue;
    }

    Pattern pattern;
    pattern.negated = pattern_negated;
    if (item.front() != '[' && item.find(':') != std::string_view::npos) {
      if (!open_table)
        return Status::ConfigError(origin_ + ": table patterns are not available here: " +
                                   std::string(item));
      Status s = open_table(item, &pattern.table);
      if (!s.ok())
        return s.IsConfigError() ? s : Status::ConfigError(s.message());
    } else {
      pattern.text = CaseFold(item, utf8_);
    }
    patterns_.push_back(std::move(pattern));
  }
}

Status DomainList::Match(std::string_view domain, bool* matched) const {
  *matched = false;
  // A domain that ASCII folding does not cover is folded once, up front.
  std::string folded;
  bool compare_folded = utf8_ && !IsAllAscii(domain);
  if (compare_folded) CaseFold(domain, utf8_, &folded);
  for (const Pattern& pattern : patterns_) {
    if (!pattern.table) {
      if (compare_folded ? folded == pattern.text : EqualsIgnoringAsciiCase(domain, pattern.text)) {
        *matched = !pattern.negated;
        return Status::OK();
      }
      continue;
    }
    Status s = pattern.table->Find(compare_folded ? std::string_view(folded) : domain);
    if (s.ok()) {
      *matched = !pattern.negated;
      return Status::OK();
    }
    if (s.IsNotFound()) continue;
    LogWarning(origin_ + ": " + pattern.table->full_name() + ": table lookup problem");
    return s;
  }
  return Status::OK();
}

}  // namespace mctable
