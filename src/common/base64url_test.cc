// Tests for base64url: RFC 4648's test vectors (in the url alphabet,
// unpadded), the two characters that differ from base64, and the strict
// decoder's refusals.
#include "common/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace mctable {
namespace {

std::string Encode(std::string_view bytes) {
  std::string out(Base64UrlLength(bytes.size()), '?');
  ToBase64Url(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
}

bool Decode(std::string_view text, size_t n, std::string* bytes) {
  bytes->assign(n, '\0');
  return FromBase64Url(text, reinterpret_cast<unsigned char*>(bytes->data()), n);
}

TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Encode(bytes), text);
    std::string back;
    EXPECT_TRUE(Decode(text, bytes.size(), &back)) << text;
    EXPECT_EQ(back, bytes);
  }
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  EXPECT_EQ(Encode("\xfb\xff\xbf"), "-_-_");
  std::string back;
  EXPECT_TRUE(Decode("-_-_", 3, &back));
  EXPECT_EQ(back, "\xfb\xff\xbf");
  EXPECT_FALSE(Decode("+/+/", 3, &back));  // standard base64's characters
}

TEST(Base64Url, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= 20; ++n) {
    std::string bytes = all.substr(256 - n - 7, n), back;
    ASSERT_TRUE(Decode(Encode(bytes), n, &back)) << n;
    EXPECT_EQ(back, bytes);
  }
}

TEST(Base64Url, DecoderAcceptsOnlyTheCanonicalSpelling) {
  std::string back;
  EXPECT_FALSE(Decode("Zh", 1, &back));     // "f" is "Zg": non-zero padding bits
  EXPECT_FALSE(Decode("Zm9", 1, &back));    // too long for 1 byte
  EXPECT_FALSE(Decode("Z", 1, &back));      // too short
  EXPECT_FALSE(Decode("Zg==", 1, &back));   // padding is not written
  EXPECT_FALSE(Decode("Zm9=", 2, &back));
  EXPECT_FALSE(Decode("Z g", 2, &back));
  EXPECT_FALSE(Decode(std::string("Zm\0", 3), 2, &back));
  EXPECT_TRUE(Decode("Zm8", 2, &back));
  EXPECT_FALSE(Decode("Zm9", 2, &back));    // "fo" plus set padding bits
}

}  // namespace
}  // namespace mctable
