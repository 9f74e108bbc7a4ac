// KeyFormat: the memcache table's key_format template (%s %u %d %S %U %D
// %1..%9 %%), applied to a lookup or update key before it goes to
// memcached.  Semantics are Postfix's db_common query expansion:
//   %s %S  the whole key
//   %u %U  the local part of user@domain (the whole key if it has no "@");
//          a key with an empty local part ("@domain") cannot be expanded
//   %d %D  the domain part; a key without "@" or with an empty domain
//          cannot be expanded
//   %1..%9 the Nth label of the domain counted from the right; too few
//          labels, or an empty label among the needed ones, cannot be
//          expanded (Postfix 3.7 drops empty labels instead; see
//          docs/postfix-differences.md)
//   %%     a literal "%"
// The "@" that splits a key is its last one.  If any escape cannot be
// filled, the whole expansion fails (the caller skips the key).
#ifndef MCTABLE_COMMON_KEY_FORMAT_H_
#define MCTABLE_COMMON_KEY_FORMAT_H_

#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

class KeyFormat {
 public:
  // The default template "%s": Expand copies the key.
  KeyFormat() = default;

  // Validates `format`; any other % sequence (or a trailing %) is a
  // ConfigError naming `table_name` and the template.
  static Status Parse(std::string_view format, std::string_view table_name, KeyFormat* out);

  // Expands `key` into *out (replacing its contents, reusing its
  // capacity).  Returns false when the key cannot fill the template; *out
  // is then unspecified.  A template without escapes (even an empty one,
  // "key_format =") expands every key to itself: the caller skips an empty
  // result as Postfix does ("empty lookup key expansion").
  bool Expand(std::string_view key, std::string* out) const;

  const std::string& format() const { return format_; }
  bool is_identity() const { return identity_; }

 private:
  std::string format_ = "%s";
  bool identity_ = true;          // format_ is "%s": Expand is a copy
  bool needs_at_ = false;         // some escape looks at the "@" split
  bool needs_domain_ = false;     // %d %D %1-%9
  bool needs_user_ = false;       // %u %U
  int domain_labels_needed_ = 0;  // highest N of %N
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_KEY_FORMAT_H_
