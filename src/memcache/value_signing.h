// ValueSigner: signs the values a memcache table stores and checks the ones
// it reads (value_signing_key_file), so that a process that can write to
// memcached but does not hold the key cannot make the table answer what it
// wants.  The stored form is in memcache/signed_value_format.h.
//
// Keys: one or more secrets of at least 32 bytes.  Sign uses the first;
// Verify accepts an entry signed with any of them, so keys are rotated by
// putting the new key first, and the old one is dropped after the longest
// ttl has passed.
//
// Key file (value_signing_key_file): one key per line as hex digits (64 or
// more, an even number, e.g. from `openssl rand -hex 32`); blank lines and
// lines starting with "#" are ignored.  It is read with ReadSecretFile
// (common/secret_file.h): a file others can read, or anyone but its owner
// write, is refused.  Errors name the file and line, never a key.
//
// Verify never trusts the entry: the MAC is checked in constant time before
// the value is looked at, and an expired entry is refused even when its MAC
// is good (a replay of an old answer).  Sign and Verify are const and keep
// no state between calls: one signer may serve several threads.
#ifndef MCTABLE_MEMCACHE_VALUE_SIGNING_H_
#define MCTABLE_MEMCACHE_VALUE_SIGNING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"

namespace mctable {

constexpr size_t kMinSigningKeyBytes = 32;

// An interface: the implementation (and the static functions that are not
// inline below) lives in mctable-openssl.so (openssl_module.h); every
// virtual is pure or inline so that the library has the class's type
// information itself (clang's -fsanitize=vptr checks calls against it).
class ValueSigner {
 public:
  enum class Verdict { kValid, kNotSigned, kMalformed, kUnknownKey, kBadSignature, kExpired };

  // Reads the key file at `path` (see above).
  static Status FromKeyFile(const std::string& path, std::unique_ptr<ValueSigner>* out);
  // The keys of a key file's text; `origin` names the file in messages.
  static Status ParseKeyFile(std::string_view text, std::string_view origin,
                             std::vector<std::string>* keys);
  // `keys` are raw bytes, the signing key first; each >= 32 bytes.
  static Status Create(const std::vector<std::string>& keys, std::unique_ptr<ValueSigner>* out);

  virtual ~ValueSigner() = default;
  ValueSigner(const ValueSigner&) = delete;
  ValueSigner& operator=(const ValueSigner&) = delete;

  // The EXPIRY to sign for an entry stored at `now` with memcached ttl
  // `ttl`: 0 (never) for ttl 0, ttl itself when memcached reads it as an
  // absolute time (> 30 days), else now + ttl (at least 1: a negative ttl
  // gives an entry that is already expired).
  static int64_t ExpiryForTtl(long ttl, int64_t now);

  // Replaces *out with the signed form (MCS2) of `value` stored under
  // `wire_key`; a negative expiry is written as 1 (expired).
  void Sign(std::string_view wire_key, std::string_view value, int64_t expiry,
            std::string* out) const {
    out->clear();
    AppendSigned(wire_key, value, expiry, out);
  }
  // The same appended to *out: many values into one buffer, no allocation
  // per value once the buffer has grown.
  virtual void AppendSigned(std::string_view wire_key, std::string_view value, int64_t expiry,
                    std::string* out) const = 0;

  // Checks `data` read from memcached under `wire_key` at time `now`; both
  // MCS2 and the older MCS1 (signed_value_format.h) are accepted.  On
  // kValid, *value is the value inside `data` (a view into it).
  virtual Verdict Verify(std::string_view wire_key, std::string_view data, int64_t now,
                 std::string_view* value) const = 0;

  // "not signed", "bad signature", ... for warnings.
  static const char* Describe(Verdict verdict);

  virtual size_t key_count() const = 0;

 protected:
  ValueSigner() = default;
};

// Inline: the library uses them without loading the module.
inline int64_t ValueSigner::ExpiryForTtl(long ttl, int64_t now) {
  constexpr long kMemcachedRelativeTtlLimit = 60L * 60 * 24 * 30;
  if (ttl == 0) return 0;
  if (ttl > kMemcachedRelativeTtlLimit) return ttl;
  int64_t expiry = now + ttl;
  return expiry >= 1 ? expiry : 1;
}

inline const char* ValueSigner::Describe(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return "valid signature";
    case Verdict::kNotSigned:
      return "value is not signed";
    case Verdict::kMalformed:
      return "malformed signature header";
    case Verdict::kUnknownKey:
      return "signed with a key not in the key file";
    case Verdict::kBadSignature:
      return "bad signature";
    case Verdict::kExpired:
      return "signature expired";
  }
  return "?";
}

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_VALUE_SIGNING_H_
