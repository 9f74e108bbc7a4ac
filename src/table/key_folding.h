// Key folding and C-string truncation shared by the table types.
//
// Postfix folds keys with lowercase(): ASCII A-Z only, byte by byte, so
// 8-bit bytes pass unchanged (observed: postmap stores "E\xe9" as "e\xe9"
// when main.cf leaves smtputf8 off).  Postfix handles keys and values as C
// strings, so anything after an embedded NUL is invisible to it; the file
// types cut there too, so both programs see the same bytes.
// Cannot fail; returns new strings.
#ifndef MCTABLE_TABLE_KEY_FOLDING_H_
#define MCTABLE_TABLE_KEY_FOLDING_H_

#include <string>
#include <string_view>

namespace mctable {

inline std::string_view UpToNul(std::string_view bytes) {
  size_t nul = bytes.find('\0');
  return nul == std::string_view::npos ? bytes : bytes.substr(0, nul);
}

inline std::string LowercaseAscii(std::string_view key) {
  std::string folded(key);
  for (char& c : folded)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return folded;
}

// The key as Postfix would use it: cut at a NUL, folded when asked.
inline std::string PrepareKey(std::string_view key, bool fold) {
  std::string_view c_key = UpToNul(key);
  return fold ? LowercaseAscii(c_key) : std::string(c_key);
}

}  // namespace mctable

#endif  // MCTABLE_TABLE_KEY_FOLDING_H_
