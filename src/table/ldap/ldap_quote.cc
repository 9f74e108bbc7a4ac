// LdapFilterQuoter and LdapBaseQuoter; see ldap_quote.h.
#include "table/ldap/ldap_quote.h"

namespace mctable {
namespace {

void AppendQuoted(std::string_view value, std::string_view special, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    if (special.find(c) == std::string_view::npos) {
      out->push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out->push_back('\\');
    out->push_back(kHex[byte >> 4]);
    out->push_back(kHex[byte & 15]);
  }
}

}  // namespace

bool LdapFilterQuoter::Append(std::string_view value, std::string* out) const {
  AppendQuoted(value, "*()\\", out);
  return true;
}

bool LdapBaseQuoter::Append(std::string_view value, std::string* out) const {
  AppendQuoted(value, " \t\"#+,;<>\\", out);
  return true;
}

}  // namespace mctable
