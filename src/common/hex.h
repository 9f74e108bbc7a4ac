// Lower-case hexadecimal encoding of bytes (digests, MACs, key ids), and
// the value of one hex digit.  No allocation; the caller sizes the output.
#ifndef MCTABLE_COMMON_HEX_H_
#define MCTABLE_COMMON_HEX_H_

#include <cstddef>

namespace mctable {

// Writes 2 * n lower-case hex digits of bytes[0..n) to out (no terminator).
inline void ToLowerHex(const unsigned char* bytes, size_t n, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
}

// 0..15 for a hex digit of either case, else -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace mctable

#endif  // MCTABLE_COMMON_HEX_H_
