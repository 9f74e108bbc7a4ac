// libFuzzer target: the reply lines of a chunk of quiet meta writes
// (ParseQuietWriteReply, replicated writes), read as the batch reads them
// (ReadReplyLine).  Input: 1 byte of line limit, then the bytes the
// "server" sends.
//
// Checks, besides the sanitizers: every line stays within its input and
// the limit; a not-found answer carries an opaque that its own text
// spells ("NF ... O<opaque>"), so no other line can be taken for one; only
// "MN" ends a chunk; and the answer for a line does not depend on the
// bytes after it.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "memcache/protocol.h"

namespace {

using mctable::QuietWriteReply;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  size_t max_line = 1 + bytes[0];
  std::string_view rest(reinterpret_cast<const char*>(bytes + 1), size - 1);
  for (int lines = 0; lines < 10000; ++lines) {
    std::string_view line;
    size_t consumed = 0;
    mctable::LineStatus status = mctable::ReadReplyLine(rest, max_line, &line, &consumed);
    if (status != mctable::LineStatus::kLine) return 0;
    Check(consumed > 0 && consumed <= rest.size() && line.size() <= max_line);
    Check(line.data() == rest.data());
    QuietWriteReply reply = mctable::ParseQuietWriteReply(line);
    // The same line alone (a copy, so nothing after it can be read).
    const std::string copy(line);
    QuietWriteReply alone = mctable::ParseQuietWriteReply(copy);
    Check(alone.kind == reply.kind && alone.opaque == reply.opaque);
    switch (reply.kind) {
      case QuietWriteReply::kNoop:
        Check(line == "MN");
        break;
      case QuietWriteReply::kNotFound: {
        Check(line.starts_with("NF "));
        char digits[16];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, reply.opaque);
        Check(ec == std::errc());
        Check(line.find(" O" + std::string(digits, end)) != std::string_view::npos);
        break;
      }
      case QuietWriteReply::kRefusal:
        Check(line.starts_with("NS") || line.starts_with("EX") || line.starts_with("NF") ||
              line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR"));
        break;
      case QuietWriteReply::kUnexpected:
        Check(line != "MN");
        break;
    }
    rest.remove_prefix(consumed);
  }
  return 0;
}
