// ParseMemcacheSecurity: reads the trust parameters of a memcache table.
// Fails with a ConfigError naming the file and parameter; guarantees that a
// setting it accepts is one the connection and the table can honour (a
// parameter that is set but cannot take effect is refused, never ignored).
#include "table/memcache_security.h"

#include <openssl/tls1.h>
#include <strings.h>

#include "common/secret_file.h"
#include "memcache/openssl_module.h"

namespace mctable {
namespace {

Status ParseTls(const Config& config, TlsOptions* tls) {
  const std::string& origin = config.origin();
  Status s = config.GetBool("tls", false, &tls->enabled);
  if (!s.ok()) return s;
  s = config.GetBool("tls_verify", true, &tls->verify);
  if (!s.ok()) return s;
  tls->ca_file = config.GetString("tls_ca_file", "");
  tls->ca_path = config.GetString("tls_ca_path", "");
  tls->cert_file = config.GetString("tls_cert_file", "");
  tls->key_file = config.GetString("tls_key_file", "");
  tls->server_name = config.GetString("tls_server_name", "");
  tls->min_version_name = config.GetString("tls_min_version", "TLSv1.2");
  if (strcasecmp(tls->min_version_name.c_str(), "TLSv1.2") == 0) {
    tls->min_version = TLS1_2_VERSION;
  } else if (strcasecmp(tls->min_version_name.c_str(), "TLSv1.3") == 0) {
    tls->min_version = TLS1_3_VERSION;
  } else {
    return Status::ConfigError(origin + ": invalid tls_min_version value: " +
                               tls->min_version_name + " (TLSv1.2 or TLSv1.3)");
  }
  if (!tls->key_file.empty() && tls->cert_file.empty())
    return Status::ConfigError(origin + ": tls_key_file is set but tls_cert_file is not");
  if (!tls->enabled) {
    // A TLS parameter without tls = yes would protect nothing: say so.
    for (const char* name : {"tls_ca_file", "tls_ca_path", "tls_cert_file", "tls_key_file",
                             "tls_server_name", "tls_verify", "tls_min_version"})
      if (config.Find(name))
        return Status::ConfigError(origin + ": " + name + " is set but tls is not yes");
  }
  return Status::OK();
}

// Control characters or whitespace would end memcached's auth line early.
bool HasSpaceOrControl(std::string_view text) {
  for (unsigned char c : text)
    if (c <= ' ' || c == 0x7f) return true;
  return false;
}

Status ParseAuth(const Config& config, AuthCredentials* auth) {
  const std::string& origin = config.origin();
  auth->user = config.GetString("auth_user", "");
  std::string password_file = config.GetString("auth_password_file", "");
  if (auth->user.empty() && password_file.empty()) return Status::OK();
  if (auth->user.empty())
    return Status::ConfigError(origin + ": auth_password_file is set but auth_user is not");
  if (password_file.empty())
    return Status::ConfigError(origin + ": auth_user is set but auth_password_file is not");
  if (HasSpaceOrControl(auth->user))
    return Status::ConfigError(origin + ": auth_user contains whitespace or a control character");
  std::string text;
  Status s = ReadSecretFile(password_file, "auth_password_file", &text);
  if (!s.ok()) return Status::ConfigError(origin + ": " + s.message());
  size_t eol = text.find('\n');
  auth->password = text.substr(0, eol);
  if (!auth->password.empty() && auth->password.back() == '\r') auth->password.pop_back();
  ::explicit_bzero(text.data(), text.size());
  if (auth->password.empty())
    return Status::ConfigError(origin + ": auth_password_file " + password_file +
                               ": the first line (the password) is empty");
  for (unsigned char c : auth->password)
    if (c < ' ' || c == 0x7f)
      return Status::ConfigError(origin + ": auth_password_file " + password_file +
                                 ": the password contains a control character");
  return Status::OK();
}

}  // namespace

Status ParseMemcacheSecurity(const Config& config, std::string_view table_name,
                             MemcacheSecurity* out) {
  const std::string& origin = config.origin();
  std::string digest = config.GetString("key_digest", "");
  if (!digest.empty()) {
    Status s = openssl_module::NewKeyDigest(digest, table_name, &out->key_digest);
    if (!s.ok()) return s;
  }
  std::string key_file = config.GetString("value_signing_key_file", "");
  if (!key_file.empty()) {
    Status s = openssl_module::NewValueSignerFromKeyFile(key_file, &out->signer);
    if (!s.ok()) return Status::ConfigError(origin + ": " + s.message());
  }
  Status s = ParseTls(config, &out->tls);
  if (!s.ok()) return s;
  return ParseAuth(config, &out->auth);
}

}  // namespace mctable
