// KeyFormat: a Postfix db_common template (%s %u %d %S %U %D %1..%9 %%):
// the memcache table's key_format, applied to a key before it goes to
// memcached, and the SQL tables' query and result_format.  Semantics are
// Postfix's db_common expansion; for a query (and key_format):
//   %s %S  the whole key
//   %u %U  the local part of user@domain (the whole key if it has no "@");
//          a key with an empty local part ("@domain") cannot be expanded
//   %d %D  the domain part; a key without "@" or with an empty domain
//          cannot be expanded
//   %1..%9 the Nth label of the domain counted from the right, empty
//          labels dropped as Postfix drops them (mail..example.com and
//          the absolute name mail.example.com. have the labels of
//          mail.example.com); fewer labels than the highest N used
//          cannot be expanded
//   %%     a literal "%"
// The "@" that splits a key is its last one.  If any escape cannot be
// filled, the whole expansion fails (the caller skips the key).
//
// A result template (result_format) is applied to each value a query
// returns: there %s %u %d are the value, its local part and its domain
// (a value that cannot fill them is skipped), while %S %U %D %1..%9 still
// take the lookup key.  A caller that quotes (SQL) passes a ValueQuoter:
// every substituted part goes through it, the template's own text and
// "%%" do not.
#ifndef MCTABLE_COMMON_KEY_FORMAT_H_
#define MCTABLE_COMMON_KEY_FORMAT_H_

#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

// Quotes the substituted parts of a query for the query language.
class ValueQuoter {
 public:
  virtual ~ValueQuoter() = default;
  // Appends `value`, quoted, to *out; false if it cannot be quoted (the
  // expansion then fails; the quoter keeps the reason).
  virtual bool Append(std::string_view value, std::string* out) const = 0;
};

class KeyFormat {
 public:
  enum class Kind { kQuery, kResult };

  // The default template "%s": Expand copies the key.
  KeyFormat() = default;

  // Validates `format`; any other % sequence (or a trailing %) is a
  // ConfigError naming `table_name` and the template.
  static Status Parse(std::string_view format, std::string_view table_name, KeyFormat* out) {
    return Parse(format, table_name, Kind::kQuery, out);
  }
  // The same for a query or a result template ("Invalid result template").
  static Status Parse(std::string_view format, std::string_view table_name, Kind kind,
                      KeyFormat* out);

  // Expands `key` into *out (replacing its contents, reusing its
  // capacity).  Returns false when the key cannot fill the template; *out
  // is then unspecified.  A template without escapes (even an empty one,
  // "key_format =") expands every key to itself: the caller skips an empty
  // result as Postfix does ("empty lookup key expansion").
  bool Expand(std::string_view key, std::string* out) const { return Expand(key, nullptr, out); }
  // A query template with each substituted part quoted by `quoter` (none
  // when null).  False also when the quoter refuses a part.
  bool Expand(std::string_view key, const ValueQuoter* quoter, std::string* out) const;
  // A result template applied to `result`, a value returned for `key`.
  bool ExpandResult(std::string_view result, std::string_view key, std::string* out) const;
  // Whether `key` can fill the template's key escapes (%S %U %D %1..%9 of a
  // result template): Postfix suppresses the query when it cannot.
  bool KeyFits(std::string_view key) const;

  const std::string& format() const { return format_; }
  bool is_identity() const { return identity_; }
  // Whether an expansion depends on the key at all (an escape other than
  // "%%"): Postfix's db_common_parse "dynamic" answer.
  bool uses_key() const { return uses_key_; }

 private:
  // The expansion of both kinds; `result` is null for a query.  With a null
  // `out`, only checks that it can be done.
  bool ExpandFor(std::string_view key, const std::string_view* result, const ValueQuoter* quoter,
                 std::string* out) const;

  std::string format_ = "%s";
  bool identity_ = true;          // format_ is "%s": Expand is a copy
  bool uses_key_ = true;          // some escape other than %%
  bool needs_at_ = false;         // some escape looks at the "@" split
  bool needs_domain_ = false;     // %d %D %1-%9
  bool needs_user_ = false;       // %u %U
  int domain_labels_needed_ = 0;  // highest N of %N
  // A result template's %u %d, which look at the value.
  bool value_needs_user_ = false;
  bool value_needs_domain_ = false;
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_KEY_FORMAT_H_
