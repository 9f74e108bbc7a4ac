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

namespace {

class OpenSslKeyDigest final : public KeyDigest {
 public:
  explicit OpenSslKeyDigest(std::string algorithm) : KeyDigest(std::move(algorithm)) {}
  ~OpenSslKeyDigest() override {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }

  // The part of KeyDigest::Create that can fail; `where` names the setting.
  Status Init(const std::string& where) {
    md_ = EVP_MD_fetch(nullptr, algorithm().c_str(), nullptr);
    ctx_ = EVP_MD_CTX_new();
    ERR_clear_error();
    if (md_ == nullptr) return Status::ConfigError(where + ": unknown or unavailable message digest");
    if (ctx_ == nullptr) return Status::ConfigError(where + ": out of memory");
    int size = EVP_MD_get_size(md_);
    if ((EVP_MD_get_flags(md_) & EVP_MD_FLAG_XOF) != 0 || size <= 0)
      return Status::ConfigError(where + ": an extendable-output function has no fixed digest size");
    if (2 * static_cast<size_t>(size) > kMaxMemcacheKeyLength)
      return Status::ConfigError(where + ": digest too long for a memcache key");
    return Status::OK();
  }

  bool Apply(std::string* key) override {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, key->data(), key->size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, md, &length) != 1) {
      ERR_clear_error();
      return false;
    }
    key->resize(2 * length);
    ToLowerHex(md, length, key->data());
    return true;
  }

 private:
  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* ctx_ = nullptr;
};

}  // namespace

Status KeyDigest::Create(std::string_view algorithm, std::string_view table_name,
                         std::unique_ptr<KeyDigest>* out) {
  auto digest = std::make_unique<OpenSslKeyDigest>(std::string(algorithm));
  Status status = digest->Init(std::string(table_name) + ": key_digest = " + digest->algorithm());
  if (!status.ok()) return status;
  *out = std::move(digest);
  return Status::OK();
}

}  // namespace mctable
