// Tests for KeyDigest against published digests (FIPS 180-2 "abc", RFC 1321
// "abc").  The integration test cross-checks whole table keys with
// `openssl dgst`.
#include "memcache/key_digest.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

std::string DigestOf(std::string_view algorithm, std::string key) {
  std::unique_ptr<KeyDigest> digest;
  Status s = KeyDigest::Create(algorithm, "memcache:/etc/postfix/mc.cf", &digest);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return "";
  EXPECT_TRUE(digest->Apply(&key));
  return key;
}

TEST(KeyDigest, LowerCaseHexOfTheNamedDigest) {
  EXPECT_EQ(DigestOf("sha256", "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestOf("SHA256", "abc"), DigestOf("sha2-256", "abc"));
  EXPECT_EQ(DigestOf("md5", "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(DigestOf("sha512", "").size(), 128u);
  EXPECT_EQ(DigestOf("sha512", "").substr(0, 16), "cf83e1357eefb8bd");
}

TEST(KeyDigest, ReusedForManyKeysWithoutCarryOver) {
  std::unique_ptr<KeyDigest> digest;
  ASSERT_TRUE(KeyDigest::Create("sha256", "t", &digest).ok());
  std::string first = "abc", long_key(10000, 'x'), again = "abc";
  ASSERT_TRUE(digest->Apply(&first));
  ASSERT_TRUE(digest->Apply(&long_key));
  ASSERT_TRUE(digest->Apply(&again));
  EXPECT_EQ(first, again);
  EXPECT_EQ(long_key.size(), 64u);
}

TEST(KeyDigest, UnknownNameIsAConfigErrorNamingTheTable) {
  std::unique_ptr<KeyDigest> digest;
  Status s = KeyDigest::Create("sha257", "memcache:/etc/postfix/mc.cf", &digest);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(
      s.message(),
      "memcache:/etc/postfix/mc.cf: key_digest = sha257: unknown or unavailable message digest");
  EXPECT_EQ(digest, nullptr);
}

TEST(KeyDigest, ExtendableOutputFunctionsAreRefused) {
  std::unique_ptr<KeyDigest> digest;
  Status s = KeyDigest::Create("shake256", "t", &digest);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find("extendable-output"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mctable
