// The stored form of a signed memcache value (value_signing_key_file), and
// its parser.  The format, byte for byte (see also docs/threat-model.md):
//
//   "MCS2" SP KID SP EXPIRY SP MAC SP VALUE
//
//   MCS2    format tag and version
//   KID     8 lower-case hex digits naming the signing key: the first four
//           bytes of HMAC-SHA256(key, "key id")
//   EXPIRY  decimal UNIX time after which the entry is no longer valid, or 0
//           for never; no sign, no leading zero, at most 19 digits
//   MAC     22 base64url characters (RFC 4648 section 5, unpadded, the
//           unused low bits of the last one zero): the first 16 bytes of
//           HMAC-SHA256(key, M), i.e. HMAC-SHA-256-128 as in RFC 4868, with
//             M = 0x02 | u16 length of the memcached key | the memcached key
//                 | u64 EXPIRY | VALUE      (integers big-endian)
//   VALUE   the table's value, any bytes, to the end of the data
//
// So the MAC binds the value to the memcached key it is stored under (after
// key_format and key_digest) and to its expiry; flags are not covered.
//
// The first format, "MCS1", is still read (entries written before an
// upgrade stay valid until they expire) but no longer written: the same
// fields with MAC as 64 lower-case hex digits of the full HMAC-SHA256 and
// 0x01 as the first byte of M.  The version byte in M keeps the two apart:
// a MAC of one format is never a MAC of the other.  MCS2 is 42 bytes per
// entry shorter, which is what a bulk load pays for (memcached's and the
// socket's work per byte).
//
// The parser is a pure function of its input (fuzzed in fuzz/): it checks
// the syntax only; the MAC is checked by ValueSigner.
#ifndef MCTABLE_MEMCACHE_SIGNED_VALUE_FORMAT_H_
#define MCTABLE_MEMCACHE_SIGNED_VALUE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mctable {

constexpr std::string_view kSignedValueTag = "MCS2 ";    // written and read
constexpr std::string_view kSignedValueTagV1 = "MCS1 ";  // read only
constexpr size_t kSigningKeyIdHexLength = 8;
constexpr size_t kMacBytes = 16;        // MCS2: HMAC-SHA256 truncated to 128 bits
constexpr size_t kMacText = 22;         // MCS2: its base64url
constexpr size_t kMacBytesV1 = 32;      // MCS1: the full HMAC-SHA256
constexpr size_t kMacTextV1 = 64;       // MCS1: its hex
constexpr size_t kMaxExpiryDigits = 19;
// The largest MCS2 header: tag, KID, 19 expiry digits, MAC and their spaces.
constexpr size_t kMaxSignedValueOverhead =
    kSignedValueTag.size() + kSigningKeyIdHexLength + 1 + kMaxExpiryDigits + 1 + kMacText + 1;

struct SignedValueView {
  int version = 0;                       // 1 (MCS1) or 2 (MCS2)
  std::string_view key_id;               // 8 hex digits
  int64_t expiry = 0;                    // 0: never
  std::string_view mac;                  // as written: 64 hex or 22 base64url
  unsigned char mac_bytes[kMacBytesV1];  // the same, decoded; mac_size of them
  size_t mac_size = 0;                   // kMacBytesV1 or kMacBytes
  std::string_view value;                // what follows the header
};

enum class SignedValueSyntax { kOk, kNotSigned, kMalformed };

// kNotSigned when `data` starts with neither tag (a plain value, as Postfix
// or another writer stores it); kMalformed when it starts with one but the
// header is broken.  On kOk the views point into `data`.
SignedValueSyntax ParseSignedValue(std::string_view data, SignedValueView* out);

// Writes "MCS2 KID EXPIRY MAC " with the base64url of mac[0..kMacBytes) to
// out, which has room for kMaxSignedValueOverhead bytes; returns the length.
// `key_id` is kSigningKeyIdHexLength characters.
size_t WriteSignedValueHeader(std::string_view key_id, int64_t expiry, const unsigned char* mac,
                              char* out);

// Appends the header of a parsed value again, in its own version, from its
// fields (for tests: a header has exactly one spelling).
void AppendSignedValueHeader(const SignedValueView& view, std::string* out);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_SIGNED_VALUE_FORMAT_H_
