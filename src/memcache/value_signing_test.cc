// Tests for ValueSigner: the MAC is recomputed here with OpenSSL's own HMAC
// and base64 (different implementations) over the message the format
// documents; tampering with any bound part, replaying under another key,
// expiry and key rotation; entries in the old MCS1 format verify as before
// and cannot be turned into MCS2 ones.  The key-file reader's errors name
// the file and line.
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

std::string RawHmac(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string ReferenceHmac(const std::string& key, const std::string& message) {
  std::string mac = RawHmac(key, message);
  return Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

// The MCS2 MAC: the first 16 bytes, in OpenSSL's base64 turned into the
// url alphabet without padding.
std::string ReferenceMac(const std::string& key, const std::string& message) {
  std::string mac = RawHmac(key, message).substr(0, 16);
  unsigned char text[64];
  int n = EVP_EncodeBlock(text, reinterpret_cast<const unsigned char*>(mac.data()), 16);
  std::string out(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string ReferenceMessage(const std::string& wire_key, uint64_t expiry, const std::string& value,
                             char version = '\x02') {
  std::string m;
  m += version;
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
  std::string mac = ReferenceMac(
      kKeyA, ReferenceMessage("aliases:user@example.com", kNow + 60, "dest@example.net"));
  ASSERT_EQ(mac.size(), 22u);
  EXPECT_EQ(out,
            "MCS2 " + key_id + " " + std::to_string(kNow + 60) + " " + mac + " dest@example.net");
  // AppendSigned adds the same after what the buffer holds.
  std::string appended = "before";
  signer->AppendSigned("aliases:user@example.com", "dest@example.net", kNow + 60, &appended);
  EXPECT_EQ(appended, "before" + out);
}

TEST(ValueSigning, KeysLongerThanABlockAreHashedFirst) {
  std::string long_key(100, 'k');
  auto signer = Signer({long_key});
  std::string out;
  signer->Sign("k", "v", 0, &out);
  EXPECT_EQ(out.substr(out.size() - 24, 22), ReferenceMac(long_key, ReferenceMessage("k", 0, "v")));
}

TEST(ValueSigning, VerifyReturnsTheValueOfAValidEntry) {
  auto signer = Signer({kKeyA});
  for (std::string value :
       {std::string(""), std::string("plain"), std::string("a\0b\r\nMCS2 x", 12)}) {
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
  // Every single MAC character, changed to another that is still canonical
  // base64url (the last one carries 2 bits: A, Q, g, w).
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t mac_at = data.size() - 6 - 22;
  for (size_t i = 0; i < 22; ++i) {
    std::string flipped = data;
    char& c = flipped[mac_at + i];
    size_t step = i == 21 ? 16 : 1;
    c = alphabet[(alphabet.find(c) + step) % 64];
    EXPECT_EQ(signer->Verify("key", flipped, kNow, &got), ValueSigner::Verdict::kBadSignature) << i;
  }
  // Truncated anywhere: never valid.
  for (size_t cut = 0; cut < data.size(); ++cut)
    EXPECT_NE(signer->Verify("key", data.substr(0, cut), kNow, &got), ValueSigner::Verdict::kValid)
        << cut;
  EXPECT_EQ(signer->Verify("key", "value", kNow, &got), ValueSigner::Verdict::kNotSigned);
  EXPECT_EQ(signer->Verify("key", "MCS2 junk", kNow, &got), ValueSigner::Verdict::kMalformed);
  EXPECT_EQ(signer->Verify("key", "MCS1 junk", kNow, &got), ValueSigner::Verdict::kMalformed);
}

// An entry as the MCS1 writer stored it (full MAC in hex, version byte 1).
std::string OldFormatEntry(const std::string& key, const std::string& wire_key, int64_t expiry,
                           const std::string& value) {
  return "MCS1 " + ReferenceHmac(key, "key id").substr(0, 8) + " " + std::to_string(expiry) + " " +
         ReferenceHmac(key, ReferenceMessage(wire_key, expiry, value, '\x01')) + " " + value;
}

TEST(ValueSigning, OldFormatEntriesVerifyWithTheSameChecks) {
  auto signer = Signer({kKeyB, kKeyA});
  std::string old = OldFormatEntry(kKeyA, "key", kNow + 100, "old value");
  std::string_view got;
  ASSERT_EQ(signer->Verify("key", old, kNow, &got), ValueSigner::Verdict::kValid);
  EXPECT_EQ(got, "old value");
  EXPECT_EQ(signer->Verify("other", old, kNow, &got), ValueSigner::Verdict::kBadSignature);
  EXPECT_EQ(signer->Verify("key", old, kNow + 100, &got), ValueSigner::Verdict::kExpired);
  std::string changed = old;
  changed.back() = 'X';
  EXPECT_EQ(signer->Verify("key", changed, kNow, &got), ValueSigner::Verdict::kBadSignature);
  EXPECT_EQ(Signer({kKeyB})->Verify("key", old, kNow, &got), ValueSigner::Verdict::kUnknownKey);
  for (size_t cut = 0; cut < old.size(); ++cut)
    EXPECT_NE(signer->Verify("key", old.substr(0, cut), kNow, &got), ValueSigner::Verdict::kValid);
}

TEST(ValueSigning, AnOldMacCannotBeRelabelledAsTheNewFormat) {
  // The first 16 bytes of a good MCS1 MAC, written as MCS2: the version
  // byte in the message makes it a different MAC.
  auto signer = Signer({kKeyA});
  std::string old_mac = RawHmac(kKeyA, ReferenceMessage("key", 0, "v", '\x01')).substr(0, 16);
  unsigned char text[64];
  int n = EVP_EncodeBlock(text, reinterpret_cast<const unsigned char*>(old_mac.data()), 16);
  std::string mac(reinterpret_cast<const char*>(text), static_cast<size_t>(n) - 2);
  for (char& c : mac) c = c == '+' ? '-' : c == '/' ? '_' : c;
  std::string relabelled = "MCS2 " + ReferenceHmac(kKeyA, "key id").substr(0, 8) + " 0 " + mac + " v";
  std::string_view got;
  EXPECT_EQ(signer->Verify("key", relabelled, kNow, &got), ValueSigner::Verdict::kBadSignature);
  // ... while the same MAC computed over the MCS2 message is accepted.
  std::string good = "MCS2 " + ReferenceHmac(kKeyA, "key id").substr(0, 8) + " 0 " +
                     ReferenceMac(kKeyA, ReferenceMessage("key", 0, "v")) + " v";
  EXPECT_EQ(signer->Verify("key", good, kNow, &got), ValueSigner::Verdict::kValid);
}

TEST(ValueSigning, NegativeExpiryIsWrittenAsExpired) {
  auto signer = Signer({kKeyA});
  std::string data;
  signer->Sign("key", "v", -5, &data);
  EXPECT_EQ(data.substr(0, 16), "MCS2 " + ReferenceHmac(kKeyA, "key id").substr(0, 8) + " 1 ");
  std::string_view got;
  EXPECT_EQ(signer->Verify("key", data, kNow, &got), ValueSigner::Verdict::kExpired);
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
