// LogicalLineReader; see logical_line_reader.h.
#include "common/logical_line_reader.h"

#include "mctable/log.h"

namespace mctable {
namespace {

// Comment, blank and whitespace-only lines vanish from the input.
bool IsIgnorable(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsPostfixSpace(line[i])) ++i;
  return i == line.size() || line[i] == '#';
}

}  // namespace

bool LogicalLineReader::Next(std::string* line, int* first_line_number) {
  for (;;) {
    line->clear();
    bool started = false;
    if (have_pending_) {
      have_pending_ = false;
      line->swap(pending_);
      *first_line_number = pending_line_number_;
      started = true;
    }
    std::string_view physical;
    while (lines_.Next(&physical)) {
      if (IsIgnorable(physical)) continue;
      if (started && !IsPostfixSpace(physical[0])) {
        // Starts the next logical line: keep it for the next call.
        have_pending_ = true;
        pending_.assign(physical);
        pending_line_number_ = lines_.lines_read();
        break;
      }
      if (!started) {
        *first_line_number = lines_.lines_read();
        started = true;
      }
      line->append(physical);
    }
    if (!started) return false;
    if (!IsPostfixSpace((*line)[0])) return true;
    // Continuation text with nothing before it: Postfix warns and drops it
    // rather than fail, so that a table build is not left half done.
    LogWarning(label_ + ": logical line must not start with whitespace: \"" + line->substr(0, 30) +
               (line->size() > 30 ? "..." : "") + "\"");
    ++dropped_;
  }
}

}  // namespace mctable
