// libFuzzer target: the memcache get-reply parser (ParseGetReplyStep,
// ReadReplyLine).  Input: 2 bytes of line limit, 2 bytes of data limit,
// 1 byte of split point, then the bytes the "server" sends.
//
// Checks, besides the sanitizers: every step stays within its input and
// its limits; a VALUE's key has no space or newline and its data is within the
// input; and parsing is prefix-consistent: whatever a prefix of the input
// decides (value, end, error) the whole input decides the same, which is
// what makes reading a reply in arbitrary network chunks safe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "memcache/protocol.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Same(const mctable::GetReplyStep& a, const mctable::GetReplyStep& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == mctable::GetReplyStep::kValue)
    return a.consumed == b.consumed && a.key == b.key && a.data == b.data && a.flags == b.flags;
  if (a.kind == mctable::GetReplyStep::kEnd) return a.consumed == b.consumed;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 5) return 0;
  size_t max_line = 1 + (static_cast<size_t>(bytes[0]) << 8 | bytes[1]) % 2048;
  size_t max_data = (static_cast<size_t>(bytes[2]) << 8 | bytes[3]);
  size_t split_byte = bytes[4];
  std::string_view input(reinterpret_cast<const char*>(bytes + 5), size - 5);

  // ReadReplyLine alone.
  {
    std::string_view line;
    size_t consumed = 0;
    if (mctable::ReadReplyLine(input, max_line, &line, &consumed) == mctable::LineStatus::kLine) {
      Check(line.size() <= max_line);
      Check(consumed <= input.size() && consumed >= line.size() + 1);
      Check(line.find('\n') == std::string_view::npos);
      Check(input[consumed - 1] == '\n');
    }
  }

  // A whole reply, step by step, with a prefix-consistency check per step.
  std::string_view rest = input;
  for (int steps = 0; steps < 10000; ++steps) {
    mctable::GetReplyStep step = mctable::ParseGetReplyStep(rest, max_line, max_data);
    size_t cut = rest.empty() ? 0 : split_byte * rest.size() / 256;
    mctable::GetReplyStep partial = mctable::ParseGetReplyStep(rest.substr(0, cut), max_line, max_data);
    if (partial.kind != mctable::GetReplyStep::kNeedMore) Check(Same(partial, step));
    switch (step.kind) {
      case mctable::GetReplyStep::kNeedMore:
        return 0;
      case mctable::GetReplyStep::kError:
        Check(!step.error.empty());
        return 0;
      case mctable::GetReplyStep::kEnd:
        Check(step.consumed > 0 && step.consumed <= rest.size());
        rest.remove_prefix(step.consumed);
        break;
      case mctable::GetReplyStep::kValue: {
        Check(step.consumed > 0 && step.consumed <= rest.size());
        Check(step.data.size() <= max_data);
        Check(!step.key.empty());
        // Tokens are split on spaces only: a key from the server may hold
        // other bytes (e.g. '\r'); the client never matches such a key,
        // since it never asks for one (InvalidMemcacheKeyReason).
        Check(step.key.find_first_of(" \n") == std::string_view::npos);
        Check(step.data.data() >= rest.data() &&
              step.data.data() + step.data.size() <= rest.data() + rest.size());
        Check(rest.substr(step.consumed - 2, 2) == "\r\n");
        rest.remove_prefix(step.consumed);
        break;
      }
    }
  }
  return 0;
}
