// Tests for the signed-value header parser: exactly one spelling accepted.
#include "memcache/signed_value_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mctable {
namespace {

const std::string kMac(64, 'a');

SignedValueSyntax Parse(std::string_view data, SignedValueView* view = nullptr) {
  SignedValueView unused;
  return ParseSignedValue(data, view ? view : &unused);
}

TEST(SignedValueFormat, WriterAndParserAgree) {
  std::string data;
  AppendSignedValueHeader("0123abcd", 1700000000, kMac, &data);
  EXPECT_EQ(data, "MCS1 0123abcd 1700000000 " + kMac + " ");
  data += "value with spaces\r\n and \0 bytes";
  SignedValueView view;
  ASSERT_EQ(Parse(data, &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.key_id, "0123abcd");
  EXPECT_EQ(view.expiry, 1700000000);
  EXPECT_EQ(view.mac, kMac);
  EXPECT_EQ(view.value, "value with spaces\r\n and \0 bytes");
}

TEST(SignedValueFormat, EmptyValueAndNeverExpiring) {
  SignedValueView view;
  ASSERT_EQ(Parse("MCS1 00000000 0 " + kMac + " ", &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.expiry, 0);
  EXPECT_EQ(view.value, "");
}

TEST(SignedValueFormat, PlainValuesAreNotSigned) {
  EXPECT_EQ(Parse(""), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("user@example.com"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS1"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("mcs1 0123abcd 0 " + kMac + " v"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS2 0123abcd 0 " + kMac + " v"), SignedValueSyntax::kNotSigned);
}

TEST(SignedValueFormat, BrokenHeadersAreMalformed) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("MCS1 "),
           "MCS1 0123abc 0 " + kMac + " v",    // short key id
           "MCS1 0123ABCD 0 " + kMac + " v",   // upper-case hex
           "MCS1 0123abcg 0 " + kMac + " v",   // not hex
           "MCS1 0123abcd  0 " + kMac + " v",  // empty expiry
           "MCS1 0123abcd 01 " + kMac + " v",  // leading zero
           "MCS1 0123abcd -1 " + kMac + " v",  // sign
           "MCS1 0123abcd +1 " + kMac + " v",
           "MCS1 0123abcd 9223372036854775808 " + kMac + " v",   // > int64
           "MCS1 0123abcd 12345678901234567890 " + kMac + " v",  // 20 digits
           "MCS1 0123abcd 1 " + kMac.substr(1) + " v",           // short MAC
           "MCS1 0123abcd 1 " + kMac + "a v",                    // long MAC
           "MCS1 0123abcd 1 " + kMac,                            // no space after MAC
           std::string("MCS1 0123abcd 1"),                       // cut short
           "MCS1 0123abcd",
       })
    EXPECT_EQ(Parse(bad), SignedValueSyntax::kMalformed) << bad;
  SignedValueView view;
  EXPECT_EQ(Parse("MCS1 0123abcd 9223372036854775807 " + kMac + " v", &view),
            SignedValueSyntax::kOk);
  EXPECT_EQ(view.expiry, INT64_MAX);
}

}  // namespace
}  // namespace mctable
