// IsValidUtf8; see utf8.h.
#include "common/utf8.h"

namespace mctable {

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  auto tail = [](unsigned char c) { return (c & 0xc0) == 0x80; };
  while (p < end) {
    unsigned char lead = *p;
    if (lead <= 0x7f) {
      ++p;
      continue;
    }
    // How many bytes follow, and the range allowed for the first of them
    // (narrowed for the lead bytes that could start an over-long form, a
    // surrogate, or a code point above U+10FFFF).
    int follow;
    unsigned char low = 0x80, high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      follow = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      follow = 2;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      follow = 3;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      return false;  // a tail byte, an over-long 2-byte lead, or above 0xf4
    }
    if (end - p <= follow) return false;
    if (p[1] < low || p[1] > high) return false;
    for (int i = 2; i <= follow; ++i)
      if (!tail(p[i])) return false;
    p += follow + 1;
  }
  return true;
}

}  // namespace mctable
