// Tests for ValueSigner: the MAC is recomputed here with OpenSSL's own HMAC
// (a different implementation) over the message the format documents;
// tampering with any bound part, replaying under another key, expiry and
// key rotation.  The key-file reader's errors name the file and line.
#include "memcache/value_signing.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "memcache/signed_value_format.h"

namespace mctable {
namespace {

const std::string kKeyA(32, 'A');
const std::string kKeyB = std::string(40, 'B');
constexpr int64_t kNow = 1700000000;

std::unique_ptr<ValueSigner> Signer(std::vector<std::string> keys) {
  std::unique_ptr<ValueSigner> signer;
  Status s = ValueSigner::Create(keys, &signer);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return signer;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string ReferenceHmac(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return Hex(mac, length);
}

std::string ReferenceMessage(const std::string& wire_key, uint64_t expiry,
                             const std::string& value) {
  std::string m;
  m += '\x01';
  m += static_cast<char>(wire_key.size() >> 8);
  m += static_cast<char>(wire_key.size() & 0xff);
  m += wire_key;
  for (int shift = 56; shift >= 0; shift -= 8) m += static_cast<char>((expiry >> shift) & 0xff);
  m += value;
  return m;
}

TEST(ValueSigning, FormatAndMacMatchAnIndependentHmac) {
  auto signer = Signer({kKeyA});
  std::string out;
  signer->Sign("aliases:user@example.com", "dest@example.net", kNow + 60, &out);
  std::string key_id = ReferenceHmac(kKeyA, "key id").substr(0, 8);
  std::string mac = ReferenceHmac(
      kKeyA, ReferenceMessage("aliases:user@example.com", kNow + 60, "dest@example.net"));
  EXPECT_EQ(out,
            "MCS1 " + key_id + " " + std::to_string(kNow + 60) + " " + mac + " dest@example.net");
}

TEST(ValueSigning, KeysLongerThanABlockAreHashedFirst) {
  std::string long_key(100, 'k');
  auto signer = Signer({long_key});
  std::string out;
  signer->Sign("k", "v", 0, &out);
  EXPECT_EQ(out.substr(out.size() - 66, 64),
            ReferenceHmac(long_key, ReferenceMessage("k", 0, "v")));
}

TEST(ValueSigning, VerifyReturnsTheValueOfAValidEntry) {
  auto signer = Signer({kKeyA});
  for (std::string value :
       {std::string(""), std::string("plain"), std::string("a\0b\r\nMCS1 x", 12)}) {
    std::string data;
    signer->Sign("key", value, 0, &data);
    std::string_view got;
    EXPECT_EQ(signer->Verify("key", data, kNow, &got), ValueSigner::Verdict::kValid);
    EXPECT_EQ(got, value);
  }
}

TEST(ValueSigning, EveryBoundPartIsChecked) {
  auto signer = Signer({kKeyA});
  std::string data;
  signer->Sign("key", "value", kNow + 100, &data);
  std::string_view got;
  // Replayed under another memcached key.
  EXPECT_EQ(signer->Verify("other", data, kNow, &got), ValueSigner::Verdict::kBadSignature);
  // Value changed.
  std::string changed = data;
  changed.back() = 'X';
  EXPECT_EQ(signer->Verify("key", changed, kNow, &got), ValueSigner::Verdict::kBadSignature);
  // Expiry pushed out.
  std::string later = data;
  later.replace(later.find(std::to_string(kNow + 100)), 10, std::to_string(kNow + 999));
  EXPECT_EQ(signer->Verify("key", later, kNow, &got), ValueSigner::Verdict::kBadSignature);
  // Every single MAC digit.
  size_t mac_at = data.size() - 6 - 64;
  for (size_t i = 0; i < 64; ++i) {
    std::string flipped = data;
    flipped[mac_at + i] = flipped[mac_at + i] == '0' ? '1' : '0';
    EXPECT_EQ(signer->Verify("key", flipped, kNow, &got), ValueSigner::Verdict::kBadSignature) << i;
  }
  EXPECT_EQ(signer->Verify("key", "value", kNow, &got), ValueSigner::Verdict::kNotSigned);
  EXPECT_EQ(signer->Verify("key", "MCS1 junk", kNow, &got), ValueSigner::Verdict::kMalformed);
}

TEST(ValueSigning, ExpiredEntriesAreRefusedEvenWithAGoodMac) {
  auto signer = Signer({kKeyA});
  std::string data;
  signer->Sign("key", "value", kNow, &data);
  std::string_view got;
  EXPECT_EQ(signer->Verify("key", data, kNow - 1, &got), ValueSigner::Verdict::kValid);
  EXPECT_EQ(signer->Verify("key", data, kNow, &got), ValueSigner::Verdict::kExpired);
  EXPECT_EQ(signer->Verify("key", data, kNow + 1000, &got), ValueSigner::Verdict::kExpired);
}

TEST(ValueSigning, RotationSignsWithTheFirstKeyAndAcceptsAny) {
  auto old_signer = Signer({kKeyA});
  auto rotated = Signer({kKeyB, kKeyA});
  auto new_only = Signer({kKeyB});
  std::string by_old, by_rotated;
  old_signer->Sign("key", "v1", 0, &by_old);
  rotated->Sign("key", "v2", 0, &by_rotated);
  std::string_view got;
  EXPECT_EQ(rotated->Verify("key", by_old, kNow, &got), ValueSigner::Verdict::kValid);
  EXPECT_EQ(got, "v1");
  EXPECT_EQ(new_only->Verify("key", by_rotated, kNow, &got), ValueSigner::Verdict::kValid);
  EXPECT_EQ(new_only->Verify("key", by_old, kNow, &got), ValueSigner::Verdict::kUnknownKey);
  EXPECT_EQ(old_signer->Verify("key", by_rotated, kNow, &got), ValueSigner::Verdict::kUnknownKey);
}

TEST(ValueSigning, ExpiryFollowsMemcachedTtlRules) {
  EXPECT_EQ(ValueSigner::ExpiryForTtl(0, kNow), 0);
  EXPECT_EQ(ValueSigner::ExpiryForTtl(3600, kNow), kNow + 3600);
  EXPECT_EQ(ValueSigner::ExpiryForTtl(2592000, kNow), kNow + 2592000);
  EXPECT_EQ(ValueSigner::ExpiryForTtl(2592001, kNow), 2592001);  // absolute, as memcached
  EXPECT_EQ(ValueSigner::ExpiryForTtl(kNow + 5, kNow), kNow + 5);
  EXPECT_EQ(ValueSigner::ExpiryForTtl(-10, kNow), kNow - 10);
  EXPECT_EQ(ValueSigner::ExpiryForTtl(-2147483647L, 100), 1);
}

TEST(ValueSigning, ShortKeysAreRefused) {
  std::unique_ptr<ValueSigner> signer;
  EXPECT_TRUE(ValueSigner::Create({}, &signer).IsConfigError());
  Status s = ValueSigner::Create({kKeyA, std::string(31, 'x')}, &signer);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("key 2 is shorter than 32 bytes"), std::string::npos) << s.message();
}

TEST(ValueSigningKeyFile, HexLinesCommentsAndBlanks) {
  std::vector<std::string> keys;
  std::string a(64, 'a'), b = std::string(80, '0');
  Status s =
      ValueSigner::ParseKeyFile("# current key first\n" + a + "\r\n\n  " + b + "  \n", "/k", &keys);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], std::string(32, '\xaa'));
  EXPECT_EQ(keys[1], std::string(40, '\0'));
  ASSERT_TRUE(ValueSigner::ParseKeyFile(std::string(64, 'F'), "/k", &keys).ok());
  EXPECT_EQ(keys[0], std::string(32, '\xff'));
}

TEST(ValueSigningKeyFile, ErrorsNameFileAndLineButNotTheKey) {
  std::vector<std::string> keys;
  struct Case {
    std::string text, message;
  } cases[] = {
      {"", "/etc/postfix/mc.key: no signing key in file"},
      {"# only a comment\n", "/etc/postfix/mc.key: no signing key in file"},
      {std::string(64, 'a') + "\n" + std::string(63, 'b') + "\n",
       "/etc/postfix/mc.key, line 2: a signing key is an even number of hex digits"},
      {std::string(62, 'c') + "zz",
       "/etc/postfix/mc.key, line 1: a signing key is hex digits only"},
      {"secret password\n", "/etc/postfix/mc.key, line 1: a signing key is hex digits only"},
      {std::string(62, 'd'),
       "/etc/postfix/mc.key, line 1: signing key is shorter than 32 bytes (64 hex digits; make one "
       "with: openssl rand -hex 32)"},
  };
  for (const Case& c : cases) {
    Status s = ValueSigner::ParseKeyFile(c.text, "/etc/postfix/mc.key", &keys);
    EXPECT_TRUE(s.IsConfigError());
    EXPECT_EQ(s.message(), c.message);
    EXPECT_EQ(s.message().find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace mctable
