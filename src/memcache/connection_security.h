// What a connection to memcached needs to be trusted: TLS settings (the
// tls_* parameters) and ASCII-protocol credentials (auth_user,
// auth_password_file).  Plain data, parsed and checked by the memcache
// table (table/memcache_security.cc) and used by the connection.
#ifndef MCTABLE_MEMCACHE_CONNECTION_SECURITY_H_
#define MCTABLE_MEMCACHE_CONNECTION_SECURITY_H_

#include <string>

namespace mctable {

struct TlsOptions {
  bool enabled = false;          // tls = yes: every inet server; unix sockets stay plain
  bool verify = true;            // tls_verify: check the chain and the name
  std::string ca_file;           // tls_ca_file (PEM); with ca_path empty too, the system store
  std::string ca_path;           // tls_ca_path (c_rehash directory)
  std::string cert_file;         // tls_cert_file: client certificate chain (PEM), optional
  std::string key_file;          // tls_key_file: its private key (default: cert_file)
  std::string server_name;       // tls_server_name: name to verify (default: each server's host)
  int min_version = 0;           // tls_min_version as an OpenSSL TLS1_x_VERSION value
  std::string min_version_name;  // as written, for messages
};

struct AuthCredentials {
  std::string user;      // auth_user; empty: no authentication
  std::string password;  // the first line of auth_password_file
  bool enabled() const { return !user.empty(); }
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_CONNECTION_SECURITY_H_
