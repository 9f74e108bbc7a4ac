// twemproxy's key hashes, written from their definitions (the published
// algorithms and the facts of twemproxy's src/hashkit noted in
// key_hash.h); the expected values come from a real nutcracker run.
#include "memcache/key_hash.h"

#include <bit>
#include <cstring>

namespace mctable {
namespace {

struct NamedHash {
  const char* name;
  KeyHash hash;
};

constexpr NamedHash kHashes[] = {
    {"one_at_a_time", KeyHash::kOneAtATime}, {"md5", KeyHash::kMd5},
    {"crc16", KeyHash::kCrc16},             {"crc32", KeyHash::kCrc32},
    {"crc32a", KeyHash::kCrc32a},           {"fnv1_64", KeyHash::kFnv1_64},
    {"fnv1a_64", KeyHash::kFnv1a_64},       {"fnv1_32", KeyHash::kFnv1_32},
    {"fnv1a_32", KeyHash::kFnv1a_32},       {"hsieh", KeyHash::kHsieh},
    {"murmur", KeyHash::kMurmur},           {"jenkins", KeyHash::kJenkins},
};

// A key byte as twemproxy's x86-64 build reads it through a signed char.
inline uint32_t SignExtended(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}
inline uint32_t Byte(char c) { return static_cast<unsigned char>(c); }
inline uint32_t Rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
inline uint32_t LittleEndian32(const char* p) {
  return Byte(p[0]) | Byte(p[1]) << 8 | Byte(p[2]) << 16 | Byte(p[3]) << 24;
}

// ---- MD5 (RFC 1321) ---------------------------------------------------------

constexpr uint32_t kMd5Sines[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// One MD5 operation: a = b + ((a + f(b,c,d) + m + k) <<< s).  Unrolled by
// the caller with constant indices: keys are hashed one by one, so this is
// on the lookup path.
#define MD5_STEP(f, a, b, c, d, m, k, s) \
  a = b + Rotl(a + f(b, c, d) + (m) + (k), s)

inline uint32_t Md5F(uint32_t b, uint32_t c, uint32_t d) { return d ^ (b & (c ^ d)); }
inline uint32_t Md5G(uint32_t b, uint32_t c, uint32_t d) { return c ^ (d & (b ^ c)); }
inline uint32_t Md5H(uint32_t b, uint32_t c, uint32_t d) { return b ^ c ^ d; }
inline uint32_t Md5I(uint32_t b, uint32_t c, uint32_t d) { return c ^ (b | ~d); }

// One 64-byte block, as 16 little-endian words.
void Md5Words(const uint32_t m[16], uint32_t state[4]) {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  const uint32_t* k = kMd5Sines;
  for (int i = 0; i < 16; i += 4, k += 4) {  // round 1: m[i]
    MD5_STEP(Md5F, a, b, c, d, m[i + 0], k[0], 7);
    MD5_STEP(Md5F, d, a, b, c, m[i + 1], k[1], 12);
    MD5_STEP(Md5F, c, d, a, b, m[i + 2], k[2], 17);
    MD5_STEP(Md5F, b, c, d, a, m[i + 3], k[3], 22);
  }
  for (int i = 0; i < 16; i += 4, k += 4) {  // round 2: m[(5i + 1) % 16]
    MD5_STEP(Md5G, a, b, c, d, m[(5 * i + 1) % 16], k[0], 5);
    MD5_STEP(Md5G, d, a, b, c, m[(5 * i + 6) % 16], k[1], 9);
    MD5_STEP(Md5G, c, d, a, b, m[(5 * i + 11) % 16], k[2], 14);
    MD5_STEP(Md5G, b, c, d, a, m[(5 * i + 16) % 16], k[3], 20);
  }
  for (int i = 0; i < 16; i += 4, k += 4) {  // round 3: m[(3i + 5) % 16]
    MD5_STEP(Md5H, a, b, c, d, m[(3 * i + 5) % 16], k[0], 4);
    MD5_STEP(Md5H, d, a, b, c, m[(3 * i + 8) % 16], k[1], 11);
    MD5_STEP(Md5H, c, d, a, b, m[(3 * i + 11) % 16], k[2], 16);
    MD5_STEP(Md5H, b, c, d, a, m[(3 * i + 14) % 16], k[3], 23);
  }
  for (int i = 0; i < 16; i += 4, k += 4) {  // round 4: m[7i % 16]
    MD5_STEP(Md5I, a, b, c, d, m[(7 * i) % 16], k[0], 6);
    MD5_STEP(Md5I, d, a, b, c, m[(7 * i + 7) % 16], k[1], 10);
    MD5_STEP(Md5I, c, d, a, b, m[(7 * i + 14) % 16], k[2], 15);
    MD5_STEP(Md5I, b, c, d, a, m[(7 * i + 21) % 16], k[3], 21);
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

#undef MD5_STEP

void Md5Block(const unsigned char* block, uint32_t state[4]) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = LittleEndian32(reinterpret_cast<const char*>(block) + 4 * i);
  Md5Words(m, state);
}

// ---- CRC tables ---------------------------------------------------------------

struct Crc32Table {
  uint32_t entry[256];
  constexpr Crc32Table() : entry() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
      entry[i] = crc;
    }
  }
};
constexpr Crc32Table kCrc32;

// CRC-16/XMODEM (polynomial 0x1021, most significant bit first).
struct Crc16Table {
  uint32_t entry[256];
  constexpr Crc16Table() : entry() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i << 8;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
      entry[i] = crc & 0xffff;
    }
  }
};
constexpr Crc16Table kCrc16;

uint32_t Crc32Full(std::string_view key) {
  uint32_t crc = ~0u;
  for (char c : key) crc = kCrc32.entry[(crc ^ Byte(c)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// ---- the hashes -------------------------------------------------------------

uint32_t OneAtATime(std::string_view key) {
  uint32_t h = 0;
  for (char c : key) {
    h += SignExtended(c);
    h += h << 10;
    h ^= h >> 6;
  }
  h += h << 3;
  h ^= h >> 11;
  h += h << 15;
  return h;
}

uint32_t Md5First32(std::string_view key) {
  // Most keys fit in one block with their padding: build its words in
  // place (the machine is little-endian, as MD5's words are).
  if (std::endian::native == std::endian::little && key.size() <= 55) {
    uint32_t m[16] = {};
    std::memcpy(m, key.data(), key.size());
    reinterpret_cast<unsigned char*>(m)[key.size()] = 0x80;
    uint64_t bits = static_cast<uint64_t>(key.size()) * 8;
    m[14] = static_cast<uint32_t>(bits);
    m[15] = static_cast<uint32_t>(bits >> 32);
    uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    Md5Words(m, state);
    return state[0];
  }
  std::array<uint8_t, 16> d = Md5Digest(key);
  return uint32_t{d[0]} | uint32_t{d[1]} << 8 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 24;
}

// twemproxy keeps the CRC in 32 bits without masking it to 16.
uint32_t Crc16(std::string_view key) {
  uint32_t crc = 0;
  for (char c : key) crc = (crc << 8) ^ kCrc16.entry[((crc >> 8) ^ Byte(c)) & 0xff];
  return crc;
}

uint32_t Fnv1_64(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : key) {
    h *= 0x100000001b3ull;
    h ^= static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(c)));
  }
  return static_cast<uint32_t>(h);
}

uint32_t Fnv1a_64(std::string_view key) {
  uint32_t h = 0x84222325u;  // the 64-bit offset basis, truncated
  for (char c : key) {
    h ^= SignExtended(c);
    h *= 0x1b3u;  // the 64-bit prime, truncated
  }
  return h;
}

uint32_t Fnv1_32(std::string_view key) {
  uint32_t h = 2166136261u;
  for (char c : key) {
    h *= 16777619u;
    h ^= SignExtended(c);
  }
  return h;
}

uint32_t Fnv1a_32(std::string_view key) {
  uint32_t h = 2166136261u;
  for (char c : key) {
    h ^= SignExtended(c);
    h *= 16777619u;
  }
  return h;
}

// Paul Hsieh's SuperFastHash.
uint32_t Hsieh(std::string_view key) {
  if (key.empty()) return 0;
  auto get16 = [](const char* p) { return Byte(p[0]) | Byte(p[1]) << 8; };
  const char* p = key.data();
  size_t rem = key.size() & 3;
  uint32_t h = 0;
  for (size_t blocks = key.size() >> 2; blocks > 0; --blocks, p += 4) {
    h += get16(p);
    uint32_t tmp = (get16(p + 2) << 11) ^ h;
    h = (h << 16) ^ tmp;
    h += h >> 11;
  }
  switch (rem) {
    case 3:
      h += get16(p);
      h ^= h << 16;
      h ^= SignExtended(p[2]) << 18;
      h += h >> 11;
      break;
    case 2:
      h += get16(p);
      h ^= h << 11;
      h += h >> 17;
      break;
    case 1:
      h += Byte(p[0]);
      h ^= h << 10;
      h += h >> 1;
      break;
    default:
      break;
  }
  h ^= h << 3;
  h += h >> 5;
  h ^= h << 4;
  h += h >> 17;
  h ^= h << 25;
  h += h >> 6;
  return h;
}

// MurmurHash2 with libmemcached's seed (0xdeadbeef times the length).
uint32_t Murmur(std::string_view key) {
  constexpr uint32_t m = 0x5bd1e995;
  const uint32_t length = static_cast<uint32_t>(key.size());
  uint32_t h = (0xdeadbeefu * length) ^ length;
  const char* p = key.data();
  size_t left = key.size();
  for (; left >= 4; left -= 4, p += 4) {
    uint32_t k = LittleEndian32(p);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (left) {
    case 3: h ^= Byte(p[2]) << 16; [[fallthrough]];
    case 2: h ^= Byte(p[1]) << 8; [[fallthrough]];
    case 1: h ^= Byte(p[0]); h *= m; break;
    default: break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Bob Jenkins' lookup3 hashlittle with initval 13, read byte by byte
// (which gives the same value as its aligned little-endian reads).
uint32_t Jenkins(std::string_view key) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + static_cast<uint32_t>(key.size()) + 13;
  const char* k = key.data();
  size_t length = key.size();
  auto mix = [&] {
    a -= c; a ^= Rotl(c, 4);  c += b;
    b -= a; b ^= Rotl(a, 6);  a += c;
    c -= b; c ^= Rotl(b, 8);  b += a;
    a -= c; a ^= Rotl(c, 16); c += b;
    b -= a; b ^= Rotl(a, 19); a += c;
    c -= b; c ^= Rotl(b, 4);  b += a;
  };
  for (; length > 12; length -= 12, k += 12) {
    a += LittleEndian32(k);
    b += LittleEndian32(k + 4);
    c += LittleEndian32(k + 8);
    mix();
  }
  if (length == 0) return c;
  // The last 1..12 bytes, zero-padded.
  char tail[12] = {};
  std::memcpy(tail, k, length);
  a += LittleEndian32(tail);
  b += LittleEndian32(tail + 4);
  c += LittleEndian32(tail + 8);
  c ^= b; c -= Rotl(b, 14);
  a ^= c; a -= Rotl(c, 11);
  b ^= a; b -= Rotl(a, 25);
  c ^= b; c -= Rotl(b, 16);
  a ^= c; a -= Rotl(c, 4);
  b ^= a; b -= Rotl(a, 14);
  c ^= b; c -= Rotl(b, 24);
  return c;
}

}  // namespace

std::array<uint8_t, 16> Md5Digest(std::string_view data) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t left = data.size();
  for (; left >= 64; left -= 64, p += 64) Md5Block(p, state);
  // Padding: 0x80, zeros, then the length in bits (little-endian), in one
  // final block, or two when the length does not fit after the data.
  unsigned char last[64];
  std::memcpy(last, p, left);
  last[left] = 0x80;
  size_t used = left + 1;
  if (used > 56) {
    std::memset(last + used, 0, 64 - used);
    Md5Block(last, state);
    used = 0;  // the next block is all padding
  }
  std::memset(last + used, 0, 56 - used);
  uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) last[56 + i] = static_cast<unsigned char>(bits >> (8 * i));
  Md5Block(last, state);
  std::array<uint8_t, 16> digest;
  for (int i = 0; i < 16; ++i) digest[i] = static_cast<uint8_t>(state[i / 4] >> (8 * (i % 4)));
  return digest;
}

bool KeyHashFromName(std::string_view name, KeyHash* hash) {
  for (const NamedHash& h : kHashes)
    if (name == h.name) {
      *hash = h.hash;
      return true;
    }
  return false;
}

const char* KeyHashName(KeyHash hash) {
  for (const NamedHash& h : kHashes)
    if (h.hash == hash) return h.name;
  return "?";
}

const char* KeyHashNames() {
  return "one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, "
         "hsieh, murmur, jenkins";
}

uint32_t HashKey(KeyHash hash, std::string_view key) {
  switch (hash) {
    case KeyHash::kOneAtATime: return OneAtATime(key);
    case KeyHash::kMd5: return Md5First32(key);
    case KeyHash::kCrc16: return Crc16(key);
    case KeyHash::kCrc32: return (Crc32Full(key) >> 16) & 0x7fff;
    case KeyHash::kCrc32a: return Crc32Full(key);
    case KeyHash::kFnv1_64: return Fnv1_64(key);
    case KeyHash::kFnv1a_64: return Fnv1a_64(key);
    case KeyHash::kFnv1_32: return Fnv1_32(key);
    case KeyHash::kFnv1a_32: return Fnv1a_32(key);
    case KeyHash::kHsieh: return Hsieh(key);
    case KeyHash::kMurmur: return Murmur(key);
    case KeyHash::kJenkins: return Jenkins(key);
  }
  return 0;
}

}  // namespace mctable
