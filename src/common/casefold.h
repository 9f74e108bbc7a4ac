// Case folding of lookup keys, as Postfix's casefold() does it, and the
// UTF-8 check of Postfix's dict_utf8 layer.
//
// Postfix folds a key in one of two ways, chosen by smtputf8_enable:
// - ASCII (smtputf8_enable = no): A-Z become a-z, every other byte is kept,
//   so 8-bit text in any charset passes unchanged.
// - UTF-8 (smtputf8_enable = yes): an all-ASCII key is folded as above; any
//   other key gets Unicode default case folding (full folding, no Turkic
//   special case) through ICU, the library Debian's Postfix links for it:
//   "ÄBC" -> "äbc", "ß" and "ẞ" -> "ss", "Σ" and "ς" -> "σ", "ǅ" -> "ǆ",
//   "İ" -> "i" + U+0307.  Folding is not lowercasing: its result is for
//   comparison only, and folding twice gives the same result as once.
//
// How it fails: it cannot.  Bytes that are not UTF-8 are copied unchanged,
// as ICU does for Postfix (callers that need valid UTF-8 check first with
// IsValidUtf8, common/utf8.h); should ICU report an error all the same, the key is folded
// as ASCII rather than lost.  Thread-safe; allocates only the output.
#ifndef MCTABLE_COMMON_CASEFOLD_H_
#define MCTABLE_COMMON_CASEFOLD_H_

#include <string>
#include <string_view>

#include "common/utf8.h"  // IsValidUtf8

namespace mctable {

// True when every byte is below 0x80 (an empty string counts as ASCII).
bool IsAllAscii(std::string_view text);

// Folds `text` into *out (replacing its contents).
void CaseFold(std::string_view text, bool utf8, std::string* out);
std::string CaseFold(std::string_view text, bool utf8);

// The ASCII fold of one byte.
inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace mctable

#endif  // MCTABLE_COMMON_CASEFOLD_H_
