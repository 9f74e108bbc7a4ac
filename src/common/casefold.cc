// Case folding; see casefold.h.  ICU does the Unicode folding (the same
// call Postfix makes, ucasemap_utf8FoldCase with U_FOLD_CASE_DEFAULT, here
// through its C++ face) and the UTF-8 decoding (U8_NEXT, which rejects what
// RFC 3629 rejects).
#include "common/casefold.h"

#include <cstdint>

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/stringoptions.h>
#include <unicode/utf8.h>

namespace mctable {
namespace {

void AsciiFold(std::string_view text, std::string* out) {
  out->assign(text);
  for (char& c : *out) c = AsciiLower(c);
}

}  // namespace

bool IsAllAscii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return false;
  return true;
}

void CaseFold(std::string_view text, bool utf8, std::string* out) {
  if (!utf8 || IsAllAscii(text)) {
    AsciiFold(text, out);
    return;
  }
  out->clear();
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    AsciiFold(text, out);
    return;
  }
  icu::StringByteSink<std::string> sink(out, static_cast<int32_t>(text.size()));
  UErrorCode error = U_ZERO_ERROR;
  icu::CaseMap::utf8Fold(U_FOLD_CASE_DEFAULT,
                         icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink,
                         nullptr, error);
  if (U_FAILURE(error)) AsciiFold(text, out);
}

std::string CaseFold(std::string_view text, bool utf8) {
  std::string out;
  CaseFold(text, utf8, &out);
  return out;
}

}  // namespace mctable
