// The key as a table type stores and looks it up: the one place where every
// table type (lmdb, hash, btree, cdb, texthash, inline, memcache) turns a
// caller's key into the key it uses.
//
// - Postfix handles keys and values as C strings, so anything after an
//   embedded NUL is invisible to it; the file types cut there too, so both
//   programs see the same bytes.
// - With OpenOptions::fold_keys (postmap's default; -f turns it off) the key
//   is folded as Postfix's casefold() does: ASCII only, or Unicode case
//   folding when OpenOptions::utf8 (smtputf8_enable) is set.  See
//   common/casefold.h.
// Cannot fail; returns new strings.
#ifndef MCTABLE_TABLE_KEY_FOLDING_H_
#define MCTABLE_TABLE_KEY_FOLDING_H_

#include <string>
#include <string_view>

#include "common/casefold.h"
#include "mctable/table.h"

namespace mctable {

inline std::string_view UpToNul(std::string_view bytes) {
  size_t nul = bytes.find('\0');
  return nul == std::string_view::npos ? bytes : bytes.substr(0, nul);
}

// The key as Postfix would use it: cut at a NUL, folded when asked.
inline void PrepareKey(std::string_view key, const OpenOptions& options, std::string* out) {
  std::string_view c_key = UpToNul(key);
  if (options.fold_keys)
    CaseFold(c_key, options.utf8, out);
  else
    out->assign(c_key);
}

inline std::string PrepareKey(std::string_view key, const OpenOptions& options) {
  std::string prepared;
  PrepareKey(key, options, &prepared);
  return prepared;
}

}  // namespace mctable

#endif  // MCTABLE_TABLE_KEY_FOLDING_H_
