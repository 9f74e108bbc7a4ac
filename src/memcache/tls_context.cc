// TlsContext: one SSL_CTX per table (CA store, client certificate, minimum
// version), an SSL per connection (SNI, name check).  Failures are
// ConfigErrors at Create and reason strings afterwards; OpenSSL's error
// queue is always drained, so one table's failure is never reported as
// another's.  The client key is read through ReadSecretFile and parsed from
// memory (the buffer is wiped), so its file is checked like every secret.
#include "memcache/tls_context.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

#include "common/secret_file.h"

namespace mctable {
namespace {

// The first queued OpenSSL error's reason ("no such file", "wrong version
// number"), or `fallback`; empties the queue.
std::string DrainErrors(std::string_view fallback) {
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(first);
  if (reason != nullptr) return reason;
  char text[256];
  ERR_error_string_n(first, text, sizeof text);
  return text;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

Status LoadClientKey(SSL_CTX* ctx, const std::string& key_file, const std::string& where) {
  std::string pem;
  Status s = ReadSecretFile(key_file, "tls_key_file", &pem);
  if (!s.ok()) return Status::ConfigError(where + s.message());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  ::explicit_bzero(pem.data(), pem.size());
  if (key == nullptr)
    return Status::ConfigError(where + "tls_key_file " + key_file +
                               ": no private key: " + DrainErrors("unreadable PEM"));
  int used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return Status::ConfigError(where + "tls_key_file " + key_file +
                               ": does not match tls_cert_file: " + DrainErrors("mismatch"));
  return Status::OK();
}

// The socket BIO: OpenSSL's own writes with write(), which raises SIGPIPE
// when memcached has closed; a library must not kill its caller for that.
int SocketOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int SocketBioWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  for (;;) {
    ssize_t n = ::send(SocketOf(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return -1;
  }
}

int SocketBioRead(BIO* bio, char* buffer, int size) {
  BIO_clear_retry_flags(bio);
  for (;;) {
    ssize_t n = ::recv(SocketOf(bio), buffer, static_cast<size_t>(size), 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

long SocketBioControl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

int SocketBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* NewSocketBioMethod() {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mctable socket");
  if (method == nullptr) return nullptr;
  BIO_meth_set_write(method, SocketBioWrite);
  BIO_meth_set_read(method, SocketBioRead);
  BIO_meth_set_ctrl(method, SocketBioControl);
  BIO_meth_set_create(method, SocketBioCreate);
  return method;
}

}  // namespace

TlsContext::TlsContext(TlsOptions options) : options_(std::move(options)) {}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
  BIO_meth_free(socket_bio_);
}

Status TlsContext::Create(const TlsOptions& options, std::string_view table_name,
                          std::shared_ptr<TlsContext>* out) {
  ERR_clear_error();
  std::shared_ptr<TlsContext> context(new TlsContext(options));
  const std::string where = std::string(table_name) + ": ";
  SSL_CTX* ctx = context->ctx_ = SSL_CTX_new(TLS_client_method());
  context->socket_bio_ = NewSocketBioMethod();
  if (ctx == nullptr || context->socket_bio_ == nullptr)
    return Status::ConfigError(where + "TLS: " + DrainErrors("SSL_CTX_new failed"));
  if (SSL_CTX_set_min_proto_version(ctx, options.min_version) != 1)
    return Status::ConfigError(where + "tls_min_version = " + options.min_version_name + ": " +
                               DrainErrors("not supported"));
  // Partial writes: a pipelined request is sent as the socket takes it.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);

  if (options.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (options.ca_file.empty() && options.ca_path.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1)
        return Status::ConfigError(
            where + "TLS: cannot load the system CA store: " + DrainErrors("unknown error"));
    } else if (SSL_CTX_load_verify_locations(
                   ctx, options.ca_file.empty() ? nullptr : options.ca_file.c_str(),
                   options.ca_path.empty() ? nullptr : options.ca_path.c_str()) != 1) {
      std::string which = !options.ca_file.empty() ? "tls_ca_file " + options.ca_file
                                                   : "tls_ca_path " + options.ca_path;
      return Status::ConfigError(where + which + ": " + DrainErrors("cannot load"));
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1)
      return Status::ConfigError(where + "tls_cert_file " + options.cert_file + ": " +
                                 DrainErrors("cannot load"));
    Status s =
        LoadClientKey(ctx, options.key_file.empty() ? options.cert_file : options.key_file, where);
    if (!s.ok()) return s;
  }
  *out = std::move(context);
  return Status::OK();
}

SSL* TlsContext::NewSession(std::string_view host, int fd, std::string* error) const {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  BIO* bio = ssl != nullptr ? BIO_new(socket_bio_) : nullptr;
  if (bio == nullptr) {
    *error = "TLS: " + DrainErrors("SSL_new failed");
    SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO
  // Whole records are read at once, several when they have arrived.
  SSL_set_read_ahead(ssl, 1);
  std::string name = options_.server_name.empty() ? std::string(host) : options_.server_name;
  bool ip = IsIpAddress(name);
  bool ok = true;
  // SNI is for host names only (RFC 6066).
  if (!ip && !name.empty()) ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
  if (ok && options_.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
            : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
  }
  if (!ok) {
    *error = "TLS: cannot use server name " + name + ": " + DrainErrors("invalid");
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

std::string TlsContext::HandshakeFailure(SSL* ssl, int ssl_error) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return std::string("TLS handshake failed: certificate verify failed: ") +
           X509_verify_cert_error_string(verify);
  }
  unsigned long first = ERR_peek_error();
  bool not_tls =
      ERR_GET_LIB(first) == ERR_LIB_SSL && (ERR_GET_REASON(first) == SSL_R_WRONG_VERSION_NUMBER ||
                                            ERR_GET_REASON(first) == SSL_R_PACKET_LENGTH_TOO_LONG ||
                                            ERR_GET_REASON(first) == SSL_R_UNKNOWN_PROTOCOL);
  std::string reason = IoFailure(ssl_error);
  if (not_tls) reason += " (is the server using TLS?)";
  return "TLS handshake failed: " + reason;
}

std::string TlsContext::IoFailure(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return "connection closed by the server";
  }
  if (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    int saved = errno;
    return saved != 0 ? std::strerror(saved) : "connection closed by the server";
  }
  return DrainErrors("TLS error");
}

}  // namespace mctable
