// The stored form of a signed memcache value (value_signing_key_file), and
// its parser.  The format, byte for byte (see also docs/threat-model.md):
//
//   "MCS1" SP KID SP EXPIRY SP MAC SP VALUE
//
//   MCS1    format tag and version
//   KID     8 lower-case hex digits naming the signing key: the first four
//           bytes of HMAC-SHA256(key, "key id")
//   EXPIRY  decimal UNIX time after which the entry is no longer valid, or 0
//           for never; no sign, no leading zero, at most 19 digits
//   MAC     64 lower-case hex digits: HMAC-SHA256(key, M) with
//             M = 0x01 | u16 length of the memcached key | the memcached key
//                 | u64 EXPIRY | VALUE      (integers big-endian)
//   VALUE   the table's value, any bytes, to the end of the data
//
// So the MAC binds the value to the memcached key it is stored under (after
// key_format and key_digest) and to its expiry; flags are not covered.
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

constexpr std::string_view kSignedValueTag = "MCS1 ";
constexpr size_t kSigningKeyIdHexLength = 8;
constexpr size_t kSignatureHexLength = 64;
// The largest header: tag, KID, 19 expiry digits, MAC and their spaces.
constexpr size_t kMaxSignedValueOverhead =
    kSignedValueTag.size() + kSigningKeyIdHexLength + 1 + 19 + 1 + kSignatureHexLength + 1;

constexpr size_t kSignatureBytes = kSignatureHexLength / 2;

struct SignedValueView {
  std::string_view key_id;                   // 8 hex digits
  int64_t expiry = 0;                        // 0: never
  std::string_view mac;                      // 64 hex digits
  unsigned char mac_bytes[kSignatureBytes];  // the same, decoded
  std::string_view value;                    // what follows the header
};

enum class SignedValueSyntax { kOk, kNotSigned, kMalformed };

// kNotSigned when `data` does not start with the tag (a plain value, as
// Postfix or another writer stores it); kMalformed when it starts with the
// tag but the header is broken.  On kOk the views point into `data`.
SignedValueSyntax ParseSignedValue(std::string_view data, SignedValueView* out);

// Appends "MCS1 KID EXPIRY MAC " to *out.
void AppendSignedValueHeader(std::string_view key_id, int64_t expiry, std::string_view mac,
                             std::string* out);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_SIGNED_VALUE_FORMAT_H_
