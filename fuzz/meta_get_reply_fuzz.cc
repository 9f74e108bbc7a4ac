// libFuzzer target: the memcache meta-get reply parser (ParseMetaGetReplyStep),
// used by replica fail-over reads.  Input: 2 bytes of line limit, 2 bytes
// of data limit, 1 byte of split point, then the bytes the "server" sends.
//
// Checks, besides the sanitizers: every step stays within its input and
// its limits, a hit's data lies within the input and is followed by CRLF,
// and parsing is prefix-consistent (a prefix decides what the whole input
// decides), so reading a reply in arbitrary network chunks is safe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "memcache/protocol.h"

namespace {

using mctable::MetaGetReplyStep;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Same(const MetaGetReplyStep& a, const MetaGetReplyStep& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == MetaGetReplyStep::kHit)
    return a.consumed == b.consumed && a.data == b.data && a.ttl == b.ttl && a.flags == b.flags;
  if (a.kind == MetaGetReplyStep::kMiss) return a.consumed == b.consumed;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 5) return 0;
  size_t max_line = 1 + (static_cast<size_t>(bytes[0]) << 8 | bytes[1]) % 2048;
  size_t max_data = (static_cast<size_t>(bytes[2]) << 8 | bytes[3]);
  size_t split_byte = bytes[4];
  std::string_view rest(reinterpret_cast<const char*>(bytes + 5), size - 5);
  for (int steps = 0; steps < 10000; ++steps) {
    MetaGetReplyStep step = mctable::ParseMetaGetReplyStep(rest, max_line, max_data);
    size_t cut = rest.empty() ? 0 : split_byte * rest.size() / 256;
    MetaGetReplyStep partial = mctable::ParseMetaGetReplyStep(rest.substr(0, cut), max_line, max_data);
    if (partial.kind != MetaGetReplyStep::kNeedMore) Check(Same(partial, step));
    switch (step.kind) {
      case MetaGetReplyStep::kNeedMore:
        return 0;
      case MetaGetReplyStep::kError:
        Check(!step.error.empty());
        return 0;
      case MetaGetReplyStep::kMiss:
        Check(step.consumed > 0 && step.consumed <= rest.size());
        rest.remove_prefix(step.consumed);
        break;
      case MetaGetReplyStep::kHit:
        Check(step.consumed > 0 && step.consumed <= rest.size());
        Check(step.data.size() <= max_data);
        Check(step.ttl >= -1);
        Check(step.data.data() >= rest.data() &&
              step.data.data() + step.data.size() <= rest.data() + rest.size());
        Check(rest.substr(step.consumed - 2, 2) == "\r\n");
        rest.remove_prefix(step.consumed);
        break;
    }
  }
  return 0;
}
