// Tests for the signed-value header parser and writer: exactly one spelling
// of each format accepted, MCS2 written, the older MCS1 still parsed.
#include "memcache/signed_value_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mctable {
namespace {

const std::string kMacV1(64, 'a');
// 16 bytes 0x00..0x0f in base64url.
const std::string kMac = "AAECAwQFBgcICQoLDA0ODw";

SignedValueSyntax Parse(std::string_view data, SignedValueView* view = nullptr) {
  SignedValueView unused;
  return ParseSignedValue(data, view ? view : &unused);
}

std::string Header(std::string_view key_id, int64_t expiry) {
  unsigned char mac[kMacBytes];
  for (size_t i = 0; i < kMacBytes; ++i) mac[i] = static_cast<unsigned char>(i);
  char out[kMaxSignedValueOverhead];
  return std::string(out, WriteSignedValueHeader(key_id, expiry, mac, out));
}

TEST(SignedValueFormat, WriterAndParserAgree) {
  std::string data = Header("0123abcd", 1700000000);
  EXPECT_EQ(data, "MCS2 0123abcd 1700000000 " + kMac + " ");
  data += std::string("value with spaces\r\n and \0 bytes", 31);
  SignedValueView view;
  ASSERT_EQ(Parse(data, &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.version, 2);
  EXPECT_EQ(view.key_id, "0123abcd");
  EXPECT_EQ(view.expiry, 1700000000);
  EXPECT_EQ(view.mac, kMac);
  ASSERT_EQ(view.mac_size, kMacBytes);
  for (size_t i = 0; i < kMacBytes; ++i) EXPECT_EQ(view.mac_bytes[i], i);
  EXPECT_EQ(view.value, std::string("value with spaces\r\n and \0 bytes", 31));
  std::string rebuilt;
  AppendSignedValueHeader(view, &rebuilt);
  EXPECT_EQ(rebuilt + std::string(view.value), data);
}

TEST(SignedValueFormat, TheLargestHeaderFitsTheOverheadBound) {
  std::string data = Header("0123abcd", INT64_MAX);
  EXPECT_EQ(data.size(), kMaxSignedValueOverhead);
  SignedValueView view;
  ASSERT_EQ(Parse(data + "v", &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.expiry, INT64_MAX);
  // What MCS2 saves on a typical entry: a 10-digit expiry.
  EXPECT_EQ(Header("0123abcd", 1700000000).size(), 48u);
}

TEST(SignedValueFormat, TheOldFormatIsStillParsed) {
  const std::string data = "MCS1 0123abcd 1700000000 " + kMacV1 + " v a";
  SignedValueView view;
  ASSERT_EQ(Parse(data, &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.version, 1);
  EXPECT_EQ(view.key_id, "0123abcd");
  EXPECT_EQ(view.expiry, 1700000000);
  EXPECT_EQ(view.mac, kMacV1);
  ASSERT_EQ(view.mac_size, kMacBytesV1);
  for (size_t i = 0; i < kMacBytesV1; ++i) EXPECT_EQ(view.mac_bytes[i], 0xaa);
  EXPECT_EQ(view.value, "v a");
  std::string rebuilt;
  AppendSignedValueHeader(view, &rebuilt);
  EXPECT_EQ(rebuilt, "MCS1 0123abcd 1700000000 " + kMacV1 + " ");
}

TEST(SignedValueFormat, EmptyValueAndNeverExpiring) {
  const std::string v2 = "MCS2 00000000 0 " + kMac + " ", v1 = "MCS1 00000000 0 " + kMacV1 + " ";
  SignedValueView view;
  ASSERT_EQ(Parse(v2, &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.expiry, 0);
  EXPECT_EQ(view.value, "");
  ASSERT_EQ(Parse(v1, &view), SignedValueSyntax::kOk);
  EXPECT_EQ(view.value, "");
}

TEST(SignedValueFormat, PlainValuesAreNotSigned) {
  EXPECT_EQ(Parse(""), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("user@example.com"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS2"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS1"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("mcs2 0123abcd 0 " + kMac + " v"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS3 0123abcd 0 " + kMac + " v"), SignedValueSyntax::kNotSigned);
  EXPECT_EQ(Parse("MCS0 0123abcd 0 " + kMacV1 + " v"), SignedValueSyntax::kNotSigned);
}

TEST(SignedValueFormat, BrokenHeadersAreMalformed) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("MCS2 "),
           "MCS2 0123abc 0 " + kMac + " v",    // short key id
           "MCS2 0123ABCD 0 " + kMac + " v",   // upper-case hex
           "MCS2 0123abcg 0 " + kMac + " v",   // not hex
           "MCS2 0123abcd  0 " + kMac + " v",  // empty expiry
           "MCS2 0123abcd 01 " + kMac + " v",  // leading zero
           "MCS2 0123abcd -1 " + kMac + " v",  // sign
           "MCS2 0123abcd +1 " + kMac + " v",
           "MCS2 0123abcd 9223372036854775808 " + kMac + " v",   // > int64
           "MCS2 0123abcd 12345678901234567890 " + kMac + " v",  // 20 digits
           "MCS2 0123abcd 1 " + kMac.substr(1) + " v",           // truncated MAC
           "MCS2 0123abcd 1 " + kMac + "A v",                    // long MAC
           "MCS2 0123abcd 1 " + kMac.substr(0, 21) + "x v",      // padding bits set
           "MCS2 0123abcd 1 " + kMac.substr(0, 21) + "+ v",      // standard base64
           "MCS2 0123abcd 1 " + kMac.substr(0, 20) + "== v",     // padded
           "MCS2 0123abcd 1 " + kMacV1 + " v",                   // MCS1's MAC under MCS2
           "MCS1 0123abcd 1 " + kMac + " v",                     // MCS2's MAC under MCS1
           "MCS1 0123abcd 1 " + std::string(64, 'A') + " v",     // upper-case hex
           "MCS1 0123abcd 1 " + kMacV1.substr(1) + " v",         // truncated MAC
           "MCS2 0123abcd 1 " + kMac,                            // no space after MAC
           std::string("MCS2 0123abcd 1"),                       // cut short
           "MCS2 0123abcd",
       })
    EXPECT_EQ(Parse(bad), SignedValueSyntax::kMalformed) << bad;
}

}  // namespace
}  // namespace mctable
