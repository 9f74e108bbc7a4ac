// TlsContext: the client side of TLS to memcached for one table, built
// once at open from its tls_* parameters (TlsOptions), shared by all its
// connections.
//
// Contract:
// - Create checks everything that can be checked without a server: the CA
//   file or directory loads, the client certificate and its key load and
//   match, the key file passes ReadSecretFile's rule.  Failures are
//   ConfigErrors naming the table, the parameter, the file and OpenSSL's
//   reason.
// - NewSession makes the SSL object for one connection on a connected
//   socket: SNI set to the name (not for an IP address), bytes moved with
//   send(MSG_NOSIGNAL)/recv (a server that closes never raises SIGPIPE in
//   the caller's process), and, with verification on, the peer must chain
//   to the configured CAs (or the system store) and match the name: a DNS
//   name against the certificate's names, an IP address against its IP
//   addresses.  TLS below tls_min_version is refused.
// - HandshakeFailure turns a failed handshake into one clear reason
//   ("certificate verify failed: certificate has expired", "wrong version
//   number (is the server using TLS?)").
#ifndef MCTABLE_MEMCACHE_TLS_CONTEXT_H_
#define MCTABLE_MEMCACHE_TLS_CONTEXT_H_

#include <memory>
#include <string>
#include <string_view>

#include "mctable/status.h"
#include "memcache/connection_security.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_method_st BIO_METHOD;

namespace mctable {

class TlsContext {
 public:
  static Status Create(const TlsOptions& options, std::string_view table_name,
                       std::shared_ptr<TlsContext>* out);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new client session on the connected socket `fd` (not owned) for a
  // server known as `host` (tls_server_name overrides it); nullptr with
  // *error set if OpenSSL fails.  The caller frees it with SSL_free.
  SSL* NewSession(std::string_view host, int fd, std::string* error) const;

  // Why the handshake of `ssl` failed, after SSL_connect returned the
  // SSL_get_error code `ssl_error`; clears OpenSSL's error queue.
  static std::string HandshakeFailure(SSL* ssl, int ssl_error);
  // The reason for a failed read or write (the queue's first error, or errno).
  static std::string IoFailure(int ssl_error);

  const TlsOptions& options() const { return options_; }

 private:
  explicit TlsContext(TlsOptions options);
  TlsOptions options_;
  SSL_CTX* ctx_ = nullptr;
  BIO_METHOD* socket_bio_ = nullptr;  // send(MSG_NOSIGNAL)/recv on a socket
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_TLS_CONTEXT_H_
