// The trust parameters of a memcache table file, parsed and checked at open:
//   key_digest              KeyDigest (Postfix 3.11's parameter)
//   value_signing_key_file  ValueSigner
//   tls, tls_ca_file, tls_ca_path, tls_cert_file, tls_key_file,
//   tls_server_name, tls_verify, tls_min_version          TlsOptions
//   auth_user, auth_password_file                          AuthCredentials
// What each one protects against is in docs/threat-model.md and
// man/mctable_memcache.5.
//
// Every error is a ConfigError naming the table file and the parameter; a
// secret file (key file, password file) is read with ReadSecretFile and its
// contents never appear in a message.
#ifndef MCTABLE_TABLE_MEMCACHE_SECURITY_H_
#define MCTABLE_TABLE_MEMCACHE_SECURITY_H_

#include <memory>
#include <string>
#include <string_view>

#include "mctable/config.h"
#include "mctable/status.h"
#include "memcache/connection_security.h"
#include "memcache/key_digest.h"
#include "memcache/value_signing.h"

namespace mctable {

struct MemcacheSecurity {
  std::unique_ptr<KeyDigest> key_digest;  // null: key_digest unset
  std::unique_ptr<ValueSigner> signer;    // null: values are stored as they are
  TlsOptions tls;
  AuthCredentials auth;
};

// `table_name` is "memcache:FILE", for messages.
Status ParseMemcacheSecurity(const Config& config, std::string_view table_name,
                             MemcacheSecurity* out);

}  // namespace mctable

#endif  // MCTABLE_TABLE_MEMCACHE_SECURITY_H_
