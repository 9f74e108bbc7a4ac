// Parser and writer of the signed-value header.  Strict: exactly one
// spelling of every header is accepted (lower-case hex, canonical decimal,
// canonical base64url), so a value has one signed form and a parser bug
// cannot make two readers disagree on where the value starts.  Never reads
// past `data`.  Expiry is never negative (the signer's ExpiryForTtl), so
// the writer's 19 digits suffice.
#include "memcache/signed_value_format.h"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "common/base64url.h"

namespace mctable {
namespace {

// Lower-case hex digit values, -1 for every other byte: one table lookup
// per digit on the per-value path.
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) table[c] = static_cast<int8_t>(c - 'a' + 10);
  return table;
}();

int HexValue(char c) { return kHexValue[static_cast<unsigned char>(c)]; }

bool IsLowerHex(std::string_view text) {
  int all = 0;
  for (char c : text) all |= HexValue(c);
  return all >= 0;
}

// Decodes 2 * n lower-case hex digits; false if any is not one.
bool DecodeHex(std::string_view hex, unsigned char* out, size_t n) {
  int all = 0;
  for (size_t i = 0; i < n; ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    all |= hi | lo;
    out[i] = static_cast<unsigned char>((hi << 4) | (lo & 0xf));
  }
  return all >= 0;
}

// Canonical decimal: "0", or a non-zero digit then digits; fits int64_t.
bool ParseExpiry(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');  // 19 digits cannot overflow uint64_t
  }
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = static_cast<int64_t>(value);
  return true;
}

}  // namespace

SignedValueSyntax ParseSignedValue(std::string_view data, SignedValueView* out) {
  // Both tags are five bytes; which one decides the MAC's spelling.
  int version = 0;
  std::string_view tag = data.substr(0, kSignedValueTag.size());
  if (tag == kSignedValueTag)
    version = 2;
  else if (tag == kSignedValueTagV1)
    version = 1;
  else
    return SignedValueSyntax::kNotSigned;
  std::string_view rest = data.substr(kSignedValueTag.size());

  if (rest.size() < kSigningKeyIdHexLength + 1 || rest[kSigningKeyIdHexLength] != ' ')
    return SignedValueSyntax::kMalformed;
  std::string_view key_id = rest.substr(0, kSigningKeyIdHexLength);
  if (!IsLowerHex(key_id)) return SignedValueSyntax::kMalformed;
  rest.remove_prefix(kSigningKeyIdHexLength + 1);

  size_t space = rest.find(' ');
  if (space == std::string_view::npos) return SignedValueSyntax::kMalformed;
  int64_t expiry = 0;
  if (!ParseExpiry(rest.substr(0, space), &expiry)) return SignedValueSyntax::kMalformed;
  rest.remove_prefix(space + 1);

  const size_t mac_text = version == 2 ? kMacText : kMacTextV1;
  if (rest.size() < mac_text + 1 || rest[mac_text] != ' ') return SignedValueSyntax::kMalformed;
  std::string_view mac = rest.substr(0, mac_text);
  const size_t mac_size = version == 2 ? kMacBytes : kMacBytesV1;
  if (version == 2 ? !FromBase64Url(mac, out->mac_bytes, mac_size)
                   : !DecodeHex(mac, out->mac_bytes, mac_size))
    return SignedValueSyntax::kMalformed;

  out->version = version;
  out->key_id = key_id;
  out->expiry = expiry;
  out->mac = mac;
  out->mac_size = mac_size;
  out->value = rest.substr(mac_text + 1);
  return SignedValueSyntax::kOk;
}

size_t WriteSignedValueHeader(std::string_view key_id, int64_t expiry, const unsigned char* mac,
                              char* out) {
  char* at = out;
  std::memcpy(at, kSignedValueTag.data(), kSignedValueTag.size());
  at += kSignedValueTag.size();
  std::memcpy(at, key_id.data(), kSigningKeyIdHexLength);
  at += kSigningKeyIdHexLength;
  *at++ = ' ';
  at = std::to_chars(at, at + kMaxExpiryDigits, expiry).ptr;
  *at++ = ' ';
  ToBase64Url(mac, kMacBytes, at);
  at += kMacText;
  *at++ = ' ';
  return static_cast<size_t>(at - out);
}

void AppendSignedValueHeader(const SignedValueView& view, std::string* out) {
  out->append(view.version == 1 ? kSignedValueTagV1 : kSignedValueTag);
  out->append(view.key_id);
  out->push_back(' ');
  out->append(std::to_string(view.expiry));
  out->push_back(' ');
  out->append(view.mac);
  out->push_back(' ');
}

}  // namespace mctable
