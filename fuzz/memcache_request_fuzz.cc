// libFuzzer target: the memcache listener's command parser
// (daemon/memcache_protocol.h).  Input: a client's byte stream, parsed
// command after command as the event loop does (dropping an oversized
// value's bytes), with small limits so that the limit paths are reached.
//
// Checks: no crash, no read past the input; every parsed command consumes
// at least one byte and no more than is there; kNeedMore only while less
// than one line plus one value is waiting; a set's value is exactly the
// declared bytes and is followed by CRLF; keys hold no space or control
// byte; every error has a text that fits on one line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/memcache_protocol.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
constexpr size_t kLine = 64;
constexpr size_t kValue = 32;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  while (!input.empty()) {
    mctable::MemcacheParse p = mctable::ParseMemcacheRequest(input, kLine, kValue);
    if (p.status == mctable::ParseStatus::kNeedMore) {
      Check(input.size() <= kLine + 2 + kValue + 2 + kLine);
      break;
    }
    if (p.status == mctable::ParseStatus::kFramingError) {
      Check(!p.error.empty());
      break;
    }
    Check(p.consumed > 0 && p.consumed <= input.size());
    if (p.status == mctable::ParseStatus::kBadRequest) {
      Check(!p.error.empty() && p.error.find('\n') == std::string::npos &&
            p.error.find('\r') == std::string::npos);
    } else {
      for (const std::string& key : p.request.keys) {
        Check(!key.empty());
        for (unsigned char c : key) Check(c > 0x20 && c != 0x7f);
      }
      if (p.request.command == mctable::MemcacheCommand::kSet) {
        Check(p.request.value.size() <= kValue);
        Check(input.substr(p.consumed - 2, 2) == "\r\n");
        Check(input.substr(p.consumed - 2 - p.request.value.size(), p.request.value.size()) ==
              p.request.value);
      }
    }
    input.remove_prefix(p.consumed);
    // The rest of an oversized value is dropped, as the connection does.
    input.remove_prefix(std::min(p.discard, input.size()));
  }
  return 0;
}
