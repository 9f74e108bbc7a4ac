// The quoting of a key's parts in ldap: search templates, as Postfix's
// dict_ldap does it: in a filter (RFC 4515) "*", "(", ")" and "\" become
// "\XX"; in a search base every blank, '"', "#", "+", ",", ";", "<", ">"
// and "\" does, wherever it is (stricter than RFC 4514, which only needs a
// leading "#" and leading or trailing blanks quoted).  Neither refuses a
// value; other bytes, UTF-8 included, pass unchanged.
#ifndef MCTABLE_TABLE_LDAP_LDAP_QUOTE_H_
#define MCTABLE_TABLE_LDAP_LDAP_QUOTE_H_

#include <string>
#include <string_view>

#include "common/key_format.h"

namespace mctable {

class LdapFilterQuoter : public ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override;
};

class LdapBaseQuoter : public ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_LDAP_LDAP_QUOTE_H_
