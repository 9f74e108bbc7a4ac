// Unpadded base64url (RFC 4648 section 5) of short byte strings (MACs):
// the encoder, and a strict decoder that accepts exactly the encoder's
// output -- so a MAC has one spelling.  No allocation; the caller sizes the
// buffers with Base64UrlLength.
#ifndef MCTABLE_COMMON_BASE64URL_H_
#define MCTABLE_COMMON_BASE64URL_H_

#include <cstddef>
#include <string_view>

namespace mctable {

// Characters for n bytes, without padding.
constexpr size_t Base64UrlLength(size_t n) { return (4 * n + 2) / 3; }

// Writes Base64UrlLength(n) characters of bytes[0..n) to out (no terminator).
void ToBase64Url(const unsigned char* bytes, size_t n, char* out);

// Decodes `text` into n bytes.  False unless `text` is Base64UrlLength(n)
// characters of the alphabet with the unused low bits of the last one zero
// (what ToBase64Url writes); *out is then unspecified.
bool FromBase64Url(std::string_view text, unsigned char* out, size_t n);

}  // namespace mctable

#endif  // MCTABLE_COMMON_BASE64URL_H_
