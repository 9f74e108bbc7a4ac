// Tests for the key hashes against published test vectors.  That each one
// is twemproxy's, quirks included, is shown by continuum_test.cc, whose
// placements were recorded from nutcracker itself.
#include "memcache/key_hash.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace mctable {
namespace {

std::string Hex(const std::array<uint8_t, 16>& digest) {
  std::string out;
  char buf[3];
  for (uint8_t b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

TEST(KeyHash, Md5Rfc1321TestSuite) {
  EXPECT_EQ(Hex(Md5Digest("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5Digest("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(Md5Digest("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5Digest("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(Md5Digest("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex(Md5Digest("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex(Md5Digest("1234567890123456789012345678901234567890123456789012345678901234567890"
                          "1234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(KeyHash, Md5PaddingBoundaries) {
  // 55, 56 and 64 bytes: the length fits in the last block, needs a block
  // of its own, and the message fills a block exactly.
  EXPECT_EQ(Hex(Md5Digest(std::string(55, 'a'))), "ef1772b6dff9a122358552954ad0df65");
  EXPECT_EQ(Hex(Md5Digest(std::string(56, 'a'))), "3b0c8ac703f828b04c6c197006d17218");
  EXPECT_EQ(Hex(Md5Digest(std::string(64, 'a'))), "014842d480b571495a4a0363793f7367");
}

TEST(KeyHash, Md5KeyHashIsTheDigestsFirstWordLittleEndian) {
  // md5("a") = 0c c1 75 b9 ...
  EXPECT_EQ(HashKey(KeyHash::kMd5, "a"), 0xb975c10cu);
}

TEST(KeyHash, Md5KeyHashAgreesWithTheDigestAtEveryLength) {
  // Keys of up to 55 bytes take a one-block path of their own.
  for (size_t n = 0; n <= 130; ++n) {
    std::string key;
    for (size_t i = 0; i < n; ++i) key.push_back(static_cast<char>('a' + i * 7 % 26 + (i % 3 ? 0 : 0x60)));
    std::array<uint8_t, 16> d = Md5Digest(key);
    uint32_t first = uint32_t{d[0]} | uint32_t{d[1]} << 8 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 24;
    EXPECT_EQ(HashKey(KeyHash::kMd5, key), first) << "length " << n;
  }
}

TEST(KeyHash, PublishedVectors) {
  EXPECT_EQ(HashKey(KeyHash::kCrc32a, "123456789"), 0xcbf43926u);  // CRC-32
  EXPECT_EQ(HashKey(KeyHash::kCrc32, "123456789"), (0xcbf43926u >> 16) & 0x7fff);
  // CRC-16/XMODEM in the low 16 bits; twemproxy does not mask the rest.
  EXPECT_EQ(HashKey(KeyHash::kCrc16, "123456789") & 0xffff, 0x31c3u);
  EXPECT_EQ(HashKey(KeyHash::kFnv1a_32, "a"), 0xe40c292cu);
  EXPECT_EQ(HashKey(KeyHash::kFnv1a_32, "foobar"), 0xbf9cf968u);
  EXPECT_EQ(HashKey(KeyHash::kFnv1_32, "a"), 0x050c5d7eu);
  EXPECT_EQ(HashKey(KeyHash::kFnv1_32, "foobar"), 0x31f0b262u);
  // FNV-1 64 truncated to its low word: fnv1_64("a") = 0xaf63bd4c8601b7be.
  EXPECT_EQ(HashKey(KeyHash::kFnv1_64, "a"), 0x8601b7beu);
  EXPECT_EQ(HashKey(KeyHash::kOneAtATime, "a"), 0xca2e9442u);
}

TEST(KeyHash, HighBytesAreSignExtendedWhereTwemproxyDoes) {
  // fnv1a_32 of 0xff: with the byte read as 0xffffffff, not 0x000000ff.
  uint32_t h = 2166136261u;
  h ^= 0xffffffffu;
  h *= 16777619u;
  EXPECT_EQ(HashKey(KeyHash::kFnv1a_32, "\xff"), h);
  // murmur and jenkins read bytes unsigned: keys that differ only in the
  // sign of a byte hash differently but deterministically.
  EXPECT_NE(HashKey(KeyHash::kMurmur, "\x80"), HashKey(KeyHash::kMurmur, "\x7f"));
}

TEST(KeyHash, EmptyKeys) {
  EXPECT_EQ(HashKey(KeyHash::kHsieh, ""), 0u);
  EXPECT_EQ(HashKey(KeyHash::kFnv1a_32, ""), 2166136261u);
  EXPECT_EQ(HashKey(KeyHash::kJenkins, ""), 0xdeadbeefu + 13);
}

TEST(KeyHash, Names) {
  KeyHash hash;
  for (const char* name : {"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64",
                           "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"}) {
    ASSERT_TRUE(KeyHashFromName(name, &hash)) << name;
    EXPECT_STREQ(KeyHashName(hash), name);
  }
  EXPECT_FALSE(KeyHashFromName("MD5", &hash));
  EXPECT_FALSE(KeyHashFromName("sha1", &hash));
  EXPECT_FALSE(KeyHashFromName("", &hash));
}

}  // namespace
}  // namespace mctable
