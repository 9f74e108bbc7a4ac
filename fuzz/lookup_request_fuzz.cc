// libFuzzer target: mctabled's request parsers (daemon/lookup_protocol.h).
// Input: the first byte picks the protocol (even: socketmap, odd:
// tcp_table), the rest is a client's byte stream, parsed request after
// request as the event loop does, with a small limit so that the limit
// paths are reached.
//
// Checks: no crash, no read past the input; every parsed request consumes
// at least one byte and no more than is there; a socketmap request is
// the payload between ':' and ',' and fits the limit; a tcp key re-encodes and decodes to itself; kNeedMore is
// never answered for input over the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/lookup_protocol.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
constexpr size_t kLimit = 64;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const bool socketmap = bytes[0] % 2 == 0;
  std::string_view input(reinterpret_cast<const char*>(bytes + 1), size - 1);
  while (!input.empty()) {
    mctable::ParsedRequest request;
    mctable::ParseStatus status = socketmap ? mctable::ParseSocketmapRequest(input, kLimit, &request)
                                            : mctable::ParseTcpRequest(input, kLimit, &request);
    if (status == mctable::ParseStatus::kNeedMore) {
      // Only a prefix of one bounded request can be waiting.
      Check(input.size() <= kLimit + 12);
      break;
    }
    if (status == mctable::ParseStatus::kFramingError) {
      Check(!request.error.empty());
      break;
    }
    Check(request.consumed > 0 && request.consumed <= input.size());
    if (status == mctable::ParseStatus::kRequest) {
      if (socketmap) {
        std::string payload = request.map_name + " " + request.key;
        Check(payload.size() <= kLimit);
        // "LEN:PAYLOAD," (LEN may carry leading zeros).
        Check(request.consumed >= payload.size() + 3);
        Check(input[request.consumed - 1] == ',');
        Check(input.substr(request.consumed - 1 - payload.size(), payload.size()) == payload);
        Check(input[request.consumed - 2 - payload.size()] == ':');
      } else {
        std::string again;
        Check(mctable::TcpDecode(mctable::TcpEncode(request.key), &again) && again == request.key);
      }
    } else {
      Check(!request.error.empty());
    }
    input.remove_prefix(request.consumed);
  }
  return 0;
}
