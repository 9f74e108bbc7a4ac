// The TLS transport: OpenSSL's non-blocking SSL_connect, SSL_write and
// SSL_read on the connection's socket, each result mapped onto Transport::Io.
//
// Failures are reasons, never exceptions or logs: a handshake's comes from
// TlsContext::HandshakeFailure (certificate, name, version, "is the server
// using TLS?"), a read's or write's from TlsContext::IoFailure.  A read or
// write that OpenSSL asks to repeat is repeated by Connection with the same
// arguments (it does not advance until bytes move), as SSL_write requires.
// The server closing, with or without a close_notify, is kEof: the memcache
// protocol delimits its replies, so a cut-off reply is still detected.
#include "memcache/tls_transport.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace mctable {
namespace {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

class TlsTransport : public Transport {
 public:
  TlsTransport(std::shared_ptr<const TlsContext> context, SSL* ssl)
      : context_(std::move(context)), ssl_(ssl) {}

  Io Handshake(std::string* error) override {
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(ssl_.get());
    if (r == 1) return Io::kDone;
    int code = SSL_get_error(ssl_.get(), r);
    if (code == SSL_ERROR_WANT_READ) return Io::kWantRead;
    if (code == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
    *error = TlsContext::HandshakeFailure(ssl_.get(), code);
    return Io::kError;
  }

  Io Send(const char* data, size_t size, size_t* done, std::string* error) override {
    *done = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(ssl_.get(), data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (r > 0) {
      *done = static_cast<size_t>(r);
      return Io::kDone;
    }
    return Failed(r, error);
  }

  Io Receive(char* buffer, size_t size, size_t* done, std::string* error) override {
    *done = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(ssl_.get(), buffer, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (r > 0) {
      *done = static_cast<size_t>(r);
      return Io::kDone;
    }
    return Failed(r, error);
  }

  // With read-ahead, OpenSSL can hold whole records the socket no longer
  // shows as readable: SSL_has_pending counts those too (SSL_pending does not).
  bool HasPendingInput() const override { return SSL_has_pending(ssl_.get()) == 1; }

 private:
  Io Failed(int r, std::string* error) {
    int code = SSL_get_error(ssl_.get(), r);
    switch (code) {
      case SSL_ERROR_WANT_READ:
        return Io::kWantRead;
      case SSL_ERROR_WANT_WRITE:
        return Io::kWantWrite;
      case SSL_ERROR_ZERO_RETURN:
        return Io::kEof;
      default:
        break;
    }
    unsigned long first = ERR_peek_error();
    if ((code == SSL_ERROR_SYSCALL && first == 0 && errno == 0) ||
        (ERR_GET_LIB(first) == ERR_LIB_SSL &&
         ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      ERR_clear_error();
      return Io::kEof;
    }
    *error = TlsContext::IoFailure(code);
    return Io::kError;
  }

  std::shared_ptr<const TlsContext> context_;  // outlives the session
  std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace

std::unique_ptr<Transport> NewTlsTransport(int fd, std::string_view host,
                                           std::shared_ptr<const TlsContext> context,
                                           std::string* error) {
  SSL* ssl = context->NewSession(host, fd, error);
  if (ssl == nullptr) return nullptr;
  return std::make_unique<TlsTransport>(std::move(context), ssl);
}

}  // namespace mctable
