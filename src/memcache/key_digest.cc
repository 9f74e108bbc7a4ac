// KeyDigest: one explicitly fetched EVP_MD and one reused EVP_MD_CTX (an
// implicit fetch per key would look the algorithm up every time).
//
// Failure: Create refuses an unknown name, a digest whose output size
// OpenSSL cannot state (an extendable-output function such as SHAKE with no
// fixed length) and one whose hex form exceeds 250 bytes; Apply fails only
// when OpenSSL does.  No OpenSSL error is left queued for an unrelated
// later caller to find.
#include "memcache/key_digest.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "memcache/protocol.h"

namespace mctable {

struct KeyDigest::OpenSsl {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  ~OpenSsl() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

KeyDigest::KeyDigest(std::string algorithm) : algorithm_(std::move(algorithm)) {}
KeyDigest::~KeyDigest() = default;

Status KeyDigest::Create(std::string_view algorithm, std::string_view table_name,
                         std::unique_ptr<KeyDigest>* out) {
  std::unique_ptr<KeyDigest> digest(new KeyDigest(std::string(algorithm)));
  digest->ossl_ = std::make_unique<OpenSsl>();
  OpenSsl& o = *digest->ossl_;
  o.md = EVP_MD_fetch(nullptr, digest->algorithm_.c_str(), nullptr);
  o.ctx = EVP_MD_CTX_new();
  ERR_clear_error();
  const std::string where = std::string(table_name) + ": key_digest = " + digest->algorithm_;
  if (o.md == nullptr)
    return Status::ConfigError(where + ": unknown or unavailable message digest");
  if (o.ctx == nullptr) return Status::ConfigError(where + ": out of memory");
  int size = EVP_MD_get_size(o.md);
  if ((EVP_MD_get_flags(o.md) & EVP_MD_FLAG_XOF) != 0 || size <= 0)
    return Status::ConfigError(where + ": an extendable-output function has no fixed digest size");
  if (2 * static_cast<size_t>(size) > kMaxMemcacheKeyLength)
    return Status::ConfigError(where + ": digest too long for a memcache key");
  *out = std::move(digest);
  return Status::OK();
}

bool KeyDigest::Apply(std::string* key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestInit_ex(ossl_->ctx, ossl_->md, nullptr) != 1 ||
      EVP_DigestUpdate(ossl_->ctx, key->data(), key->size()) != 1 ||
      EVP_DigestFinal_ex(ossl_->ctx, md, &length) != 1) {
    ERR_clear_error();
    return false;
  }
  key->resize(2 * length);
  ToLowerHex(md, length, key->data());
  return true;
}

}  // namespace mctable
