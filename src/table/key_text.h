// How the file types name a key in an error message: quoted, unprintable
// bytes escaped, cut after 100 bytes with the full length given (a key too
// long for a table may be very long).  Cannot fail.
#ifndef MCTABLE_TABLE_KEY_TEXT_H_
#define MCTABLE_TABLE_KEY_TEXT_H_

#include <string>
#include <string_view>

#include "mctable/log.h"

namespace mctable {

inline std::string QuotedKey(std::string_view key) {
  constexpr size_t kShown = 100;
  if (key.size() <= kShown) return "\"" + PrintableBytes(key) + "\"";
  return "\"" + PrintableBytes(key.substr(0, kShown)) + "\"... (" + std::to_string(key.size()) + " bytes)";
}

}  // namespace mctable

#endif  // MCTABLE_TABLE_KEY_TEXT_H_
