// ValueSigner: HMAC-SHA256 with the inner and outer pad states of each key
// computed once, so a signature costs two or three SHA-256 blocks and no
// allocation.
//
// Why the SHA256_* functions and not EVP_MAC: signing and checking sit on
// the per-key path of batch lookups and loads.  Measured on the development
// machine for an 80-byte message: EVP_MAC re-initialised per message 1.3-1.6
// us, EVP_MD_CTX copies of the pad states 0.9-1.2 us (each copy allocates
// in OpenSSL 3), the same pad states as plain SHA256_CTX copies 0.46-0.66
// us.  The functions are deprecated in OpenSSL 3.0 but present (and
// SHA-extension accelerated) in Debian's libssl3; the HMAC construction
// over them is RFC 2104 and is checked against `openssl dgst -mac HMAC` in
// the tests.  The header is formatted on the stack and appended once
// (AppendSigned into a caller's reused buffer: no allocation per value);
// with the MAC in hex, std::to_string and a string per value, formatting
// had cost about as much as the HMAC itself (175 ns here with SHA-NI).
//
// Failure: Create and the key-file functions return ConfigErrors; Sign and
// Verify cannot fail.  Key material is wiped from temporary buffers.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "memcache/value_signing.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include <array>
#include <cstring>

#include "common/hex.h"
#include "common/secret_file.h"
#include "memcache/signed_value_format.h"

namespace mctable {
namespace {

constexpr size_t kBlock = 64;
constexpr size_t kHmacBytes = 32;  // SHA-256's output; MCS2 keeps the first kMacBytes
constexpr int kWrittenVersion = 2;  // MCS2: the first byte of the MAC'd message

void PutBigEndian(uint64_t value, int bytes, unsigned char* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
}

struct SigningKey {
  SHA256_CTX inner;  // after key ^ ipad
  SHA256_CTX outer;  // after key ^ opad
  char id[kSigningKeyIdHexLength];

  void Init(std::string_view secret);
  // HMAC over the concatenation of `parts`.
  void Mac(std::initializer_list<std::string_view> parts, unsigned char mac[kHmacBytes]) const;
  std::string_view key_id() const { return std::string_view(id, sizeof id); }
};

void SigningKey::Init(std::string_view secret) {
  unsigned char block[kBlock] = {};
  if (secret.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), block);
  } else {
    std::memcpy(block, secret.data(), secret.size());
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner);
  SHA256_Update(&inner, pad, kBlock);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer);
  SHA256_Update(&outer, pad, kBlock);
  ::explicit_bzero(block, sizeof block);
  ::explicit_bzero(pad, sizeof pad);
  unsigned char mac[kHmacBytes];
  Mac({"key id"}, mac);
  ToLowerHex(mac, kSigningKeyIdHexLength / 2, id);
}

void SigningKey::Mac(std::initializer_list<std::string_view> parts,
                      unsigned char mac[kHmacBytes]) const {
  SHA256_CTX ctx = inner;
  // One update for a short message: each SHA256_Update call has a fixed
  // cost that is a good part of hashing a two-block message.
  size_t total = 0;
  for (std::string_view part : parts) total += part.size();
  unsigned char joined[256];
  if (total <= sizeof joined) {
    size_t at = 0;
    for (std::string_view part : parts) {
      if (!part.empty()) std::memcpy(joined + at, part.data(), part.size());
      at += part.size();
    }
    SHA256_Update(&ctx, joined, total);
  } else {
    for (std::string_view part : parts) SHA256_Update(&ctx, part.data(), part.size());
  }
  unsigned char inner_hash[kHmacBytes];
  SHA256_Final(inner_hash, &ctx);
  ctx = outer;
  SHA256_Update(&ctx, inner_hash, sizeof inner_hash);
  SHA256_Final(mac, &ctx);
}

// M = version | u16 key length | key | u64 expiry | value, as three parts
// around the caller's key and value.
struct MacPrefix {
  unsigned char head[3];
  unsigned char expiry[8];
  MacPrefix(int version, std::string_view wire_key, int64_t expiry_time) {
    head[0] = static_cast<unsigned char>(version);
    PutBigEndian(wire_key.size(), 2, head + 1);
    PutBigEndian(static_cast<uint64_t>(expiry_time), 8, expiry);
  }
  std::string_view head_view() const { return {reinterpret_cast<const char*>(head), sizeof head}; }
  std::string_view expiry_view() const {
    return {reinterpret_cast<const char*>(expiry), sizeof expiry};
  }
};

class HmacValueSigner final : public ValueSigner {
 public:
  explicit HmacValueSigner(size_t key_count) : keys_(key_count) {}
  ~HmacValueSigner() override {
    for (SigningKey& key : keys_) ::explicit_bzero(&key, sizeof key);
  }

  SigningKey& key(size_t i) { return keys_[i]; }

  void AppendSigned(std::string_view wire_key, std::string_view value, int64_t expiry,
                    std::string* out) const override;
  Verdict Verify(std::string_view wire_key, std::string_view data, int64_t now,
                 std::string_view* value) const override;
  size_t key_count() const override { return keys_.size(); }

 private:
  std::vector<SigningKey> keys_;
};

}  // namespace

Status ValueSigner::Create(const std::vector<std::string>& keys,
                           std::unique_ptr<ValueSigner>* out) {
  if (keys.empty()) return Status::ConfigError("no value signing key");
  auto signer = std::make_unique<HmacValueSigner>(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() < kMinSigningKeyBytes)
      return Status::ConfigError("value signing key " + std::to_string(i + 1) +
                                 " is shorter than " + std::to_string(kMinSigningKeyBytes) +
                                 " bytes");
    signer->key(i).Init(keys[i]);
  }
  *out = std::move(signer);
  return Status::OK();
}

Status ValueSigner::ParseKeyFile(std::string_view text, std::string_view origin,
                                 std::vector<std::string>* keys) {
  keys->clear();
  size_t line_number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = std::string(origin) + ", line " + std::to_string(line_number);
    for (char c : line)
      if (HexDigitValue(c) < 0)
        return Status::ConfigError(where + ": a signing key is hex digits only");
    if (line.size() % 2 != 0)
      return Status::ConfigError(where + ": a signing key is an even number of hex digits");
    std::string key(line.size() / 2, '\0');
    for (size_t i = 0; i < key.size(); ++i)
      key[i] = static_cast<char>(HexDigitValue(line[2 * i]) << 4 | HexDigitValue(line[2 * i + 1]));
    if (key.size() < kMinSigningKeyBytes) {
      ::explicit_bzero(key.data(), key.size());
      return Status::ConfigError(where + ": signing key is shorter than " +
                                 std::to_string(kMinSigningKeyBytes) + " bytes (" +
                                 std::to_string(2 * kMinSigningKeyBytes) +
                                 " hex digits; make one with: openssl rand -hex 32)");
    }
    keys->push_back(std::move(key));
  }
  if (keys->empty()) return Status::ConfigError(std::string(origin) + ": no signing key in file");
  return Status::OK();
}

Status ValueSigner::FromKeyFile(const std::string& path, std::unique_ptr<ValueSigner>* out) {
  std::string text;
  Status s = ReadSecretFile(path, "value_signing_key_file", &text);
  std::vector<std::string> keys;
  if (s.ok()) s = ParseKeyFile(text, path, &keys);
  if (s.ok()) s = Create(keys, out);
  ::explicit_bzero(text.data(), text.size());
  for (std::string& key : keys) ::explicit_bzero(key.data(), key.size());
  return s;
}

void HmacValueSigner::AppendSigned(std::string_view wire_key, std::string_view value, int64_t expiry,
                                   std::string* out) const {
  // Negative: already expired, as is 1 (and the header has no sign).
  if (expiry < 0) expiry = 1;
  const SigningKey& key = keys_.front();
  MacPrefix prefix(kWrittenVersion, wire_key, expiry);
  unsigned char mac[kHmacBytes];
  key.Mac({prefix.head_view(), wire_key, prefix.expiry_view(), value}, mac);
  char header[kMaxSignedValueOverhead];
  size_t length = WriteSignedValueHeader(key.key_id(), expiry, mac, header);
  out->reserve(out->size() + length + value.size());
  out->append(header, length);
  out->append(value);
}

ValueSigner::Verdict HmacValueSigner::Verify(std::string_view wire_key, std::string_view data,
                                             int64_t now, std::string_view* value) const {
  SignedValueView view;
  switch (ParseSignedValue(data, &view)) {
    case SignedValueSyntax::kNotSigned:
      return Verdict::kNotSigned;
    case SignedValueSyntax::kMalformed:
      return Verdict::kMalformed;
    case SignedValueSyntax::kOk:
      break;
  }
  MacPrefix prefix(view.version, wire_key, view.expiry);
  bool known_key = false;
  for (const SigningKey& key : keys_) {
    if (key.key_id() != view.key_id) continue;
    known_key = true;
    unsigned char mac[kHmacBytes];
    key.Mac({prefix.head_view(), wire_key, prefix.expiry_view(), view.value}, mac);
    // MCS2 stores the first 16 bytes (RFC 4868's truncation), MCS1 all 32.
    if (CRYPTO_memcmp(mac, view.mac_bytes, view.mac_size) != 0) continue;
    if (view.expiry != 0 && view.expiry <= now) return Verdict::kExpired;
    *value = view.value;
    return Verdict::kValid;
  }
  return known_key ? Verdict::kBadSignature : Verdict::kUnknownKey;
}


}  // namespace mctable
