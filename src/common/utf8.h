// IsValidUtf8: whether bytes are well-formed UTF-8 (RFC 3629): no
// over-long forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF,
// no truncated sequence; NUL bytes are valid.  The same rule as Postfix's valid_utf8_string,
// which decides, for example, that sqlite: skips a non-UTF-8 key.
// Cannot fail; reads exactly bytes.size() bytes.
#ifndef MCTABLE_COMMON_UTF8_H_
#define MCTABLE_COMMON_UTF8_H_

#include <string_view>

namespace mctable {

bool IsValidUtf8(std::string_view bytes);

}  // namespace mctable

#endif  // MCTABLE_COMMON_UTF8_H_
