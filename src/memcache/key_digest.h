// KeyDigest: the memcache table's key_digest parameter (as in Postfix 3.11
// and later): after key_format, the key sent to memcached is replaced by the
// lower-case hexadecimal OpenSSL message digest of the formatted key, so a
// long key can never exceed memcached's 250-byte limit.
//
// With key_digest = sha256, the key "aliases:user@example.com" goes to
// memcached as the 64 hex digits that `printf %s aliases:user@example.com |
// openssl dgst -sha256` prints.  The digest is over the bytes of the
// formatted key alone: no terminator, no salt; so a Postfix 3.11 table with
// the same key_format and key_digest shares the entries.
//
// Create fails with a ConfigError naming the table when OpenSSL does not
// know the name (or the digest's hex form would be longer than memcached
// takes).  Apply is for one thread at a time (it reuses one digest context).
#ifndef MCTABLE_MEMCACHE_KEY_DIGEST_H_
#define MCTABLE_MEMCACHE_KEY_DIGEST_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mctable/status.h"

namespace mctable {

// An interface: the implementation lives in mctable-openssl.so
// (openssl_module.h), and every virtual is pure or inline so that the
// library, which only holds pointers to it, has the class's type
// information itself (clang's -fsanitize=vptr checks calls against it).
class KeyDigest {
 public:
  // `algorithm` is an OpenSSL digest name ("sha256", "SHA2-512", "md5"...).
  // Defined in the module: the library reaches it through
  // openssl_module::NewKeyDigest.
  static Status Create(std::string_view algorithm, std::string_view table_name,
                       std::unique_ptr<KeyDigest>* out);
  virtual ~KeyDigest() = default;
  KeyDigest(const KeyDigest&) = delete;
  KeyDigest& operator=(const KeyDigest&) = delete;

  // Replaces *key with the hex digest of its contents.  False only if
  // OpenSSL fails (out of memory); *key is then unspecified.
  virtual bool Apply(std::string* key) = 0;

  const std::string& algorithm() const { return algorithm_; }

 protected:
  explicit KeyDigest(std::string algorithm) : algorithm_(std::move(algorithm)) {}

 private:
  std::string algorithm_;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_KEY_DIGEST_H_
