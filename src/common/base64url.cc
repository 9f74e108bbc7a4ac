// Base64url without padding.  The decoder is strict (see the header): it
// reads exactly Base64UrlLength(n) characters and never past them.
#include "common/base64url.h"

#include <array>
#include <cstdint>

namespace mctable {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for a character of the alphabet, -1 for every other byte.
constexpr std::array<int8_t, 256> kValue = [] {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}();

}  // namespace

void ToBase64Url(const unsigned char* bytes, size_t n, char* out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t group = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    *out++ = kAlphabet[group >> 18];
    *out++ = kAlphabet[(group >> 12) & 63];
    *out++ = kAlphabet[(group >> 6) & 63];
    *out++ = kAlphabet[group & 63];
  }
  if (n - i == 1) {
    *out++ = kAlphabet[bytes[i] >> 2];
    *out++ = kAlphabet[(bytes[i] & 3) << 4];
  } else if (n - i == 2) {
    uint32_t group = uint32_t{bytes[i]} << 8 | bytes[i + 1];
    *out++ = kAlphabet[group >> 10];
    *out++ = kAlphabet[(group >> 4) & 63];
    *out++ = kAlphabet[(group & 15) << 2];
  }
}

bool FromBase64Url(std::string_view text, unsigned char* out, size_t n) {
  if (text.size() != Base64UrlLength(n)) return false;
  // Accumulate bits; any character outside the alphabet makes `bad` negative.
  int bad = 0;
  uint32_t bits = 0;
  int held = 0;
  size_t written = 0;
  for (char c : text) {
    int v = kValue[static_cast<unsigned char>(c)];
    bad |= v;
    bits = (bits << 6) | static_cast<uint32_t>(v & 63);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[written++] = static_cast<unsigned char>(bits >> held);
      bits &= (1u << held) - 1;
    }
  }
  // The leftover bits (2 or 4) are padding: zero in the one canonical form.
  return bad >= 0 && written == n && bits == 0;
}

}  // namespace mctable
