// Key hashes of twemproxy (nutcracker), by their configuration names.
//
// A memcache table spread over several servers places each memcached key
// with one of these functions, so the functions must give twemproxy's
// values bit for bit: mctable, Postfix through a twemproxy front, and
// every other twemproxy client must agree on where a key lives.  That
// includes twemproxy's quirks, kept on purpose: on its x86-64 builds a
// byte >= 0x80 enters fnv1_64, fnv1a_64, fnv1_32, fnv1a_32,
// one_at_a_time and the last byte of hsieh sign-extended (their "char" is
// signed); crc32 is libmemcached's 15-bit variant (crc32a is the plain
// CRC-32); fnv1a_64 is a 32-bit FNV with the 64-bit constants truncated.
// src/memcache/key_hash_test.cc checks each function against values
// recorded from Debian's nutcracker 0.5.0.
//
// Pure functions of their input; no allocation, no failure.
#ifndef MCTABLE_MEMCACHE_KEY_HASH_H_
#define MCTABLE_MEMCACHE_KEY_HASH_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace mctable {

enum class KeyHash {
  kOneAtATime,
  kMd5,
  kCrc16,
  kCrc32,
  kCrc32a,
  kFnv1_64,
  kFnv1a_64,
  kFnv1_32,
  kFnv1a_32,
  kHsieh,
  kMurmur,
  kJenkins,
};

// Looks a hash up by its twemproxy name ("md5", "fnv1a_64", ...); false
// if there is no such hash.
bool KeyHashFromName(std::string_view name, KeyHash* hash);
const char* KeyHashName(KeyHash hash);
// "one_at_a_time, md5, ..." for error messages.
const char* KeyHashNames();

uint32_t HashKey(KeyHash hash, std::string_view key);

// The MD5 digest of `data` (RFC 1321).  Ketama names its continuum points
// with it whatever the key hash is.
std::array<uint8_t, 16> Md5Digest(std::string_view data);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_KEY_HASH_H_
