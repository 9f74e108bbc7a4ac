// The plain transport: send()/recv() on the connection's socket.
#include "memcache/transport.h"

#include <errno.h>
#include <sys/socket.h>

#include <cstring>

namespace mctable {
namespace {

class PlainTransport : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}

  Io Handshake(std::string*) override { return Io::kDone; }

  Io Send(const char* data, size_t size, size_t* done, std::string* error) override {
    *done = 0;
    for (;;) {
      ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        *done = static_cast<size_t>(n);
        return n > 0 ? Io::kDone : Io::kWantWrite;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantWrite;
      *error = std::strerror(errno);
      return Io::kError;
    }
  }

  Io Receive(char* buffer, size_t size, size_t* done, std::string* error) override {
    *done = 0;
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, size, 0);
      if (n > 0) {
        *done = static_cast<size_t>(n);
        return Io::kDone;
      }
      if (n == 0) return Io::kEof;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantRead;
      *error = std::strerror(errno);
      return Io::kError;
    }
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<Transport> NewPlainTransport(int fd) { return std::make_unique<PlainTransport>(fd); }

}  // namespace mctable
