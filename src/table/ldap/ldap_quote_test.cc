#include "table/ldap/ldap_quote.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

std::string Quoted(const ValueQuoter& quoter, std::string_view value) {
  std::string out = "[";
  EXPECT_TRUE(quoter.Append(value, &out));
  return out + "]";
}

TEST(LdapQuoteTest, FilterQuotesWildcardParenthesesAndBackslashOnly) {
  LdapFilterQuoter filter;
  EXPECT_EQ(Quoted(filter, "a*b(c)\\d@example.com"), "[a\\2Ab\\28c\\29\\5Cd@example.com]");
  EXPECT_EQ(Quoted(filter, "plain, #+;<> \"x\"@example.com"), "[plain, #+;<> \"x\"@example.com]");
  EXPECT_EQ(Quoted(filter, "j\xc3\xb6rg"), "[j\xc3\xb6rg]");
}

TEST(LdapQuoteTest, BaseQuotesEverySpecialWherePostfixDoes) {
  LdapBaseQuoter base;
  // Every blank and "#", not only leading or trailing ones (RFC 4514 asks less).
  EXPECT_EQ(Quoted(base, "a b#c"), "[a\\20b\\23c]");
  EXPECT_EQ(Quoted(base, "\"+,;<>\\\t"), "[\\22\\2B\\2C\\3B\\3C\\3E\\5C\\09]");
  EXPECT_EQ(Quoted(base, "a*(b)=c"), "[a*(b)=c]");
}

}  // namespace
}  // namespace mctable
