// Opening mctabled's listening sockets; see listener.h.
#include "daemon/listener.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace mctable {
namespace {

constexpr int kBacklog = 1024;

Status Failure(const ListenerSpec& spec, const std::string& what, int err) {
  return Status::ConfigError(spec.text + ": " + what + ": " + std::strerror(err));
}

// A socket file that nobody accepts on is left over from a daemon that
// died; one that accepts belongs to a running daemon and is not taken over.
Status ClearStaleSocket(const ListenerSpec& spec, const sockaddr_un& addr) {
  struct stat st;
  if (::lstat(spec.path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Failure(spec, "stat", errno);
  }
  if (!S_ISSOCK(st.st_mode))
    return Status::ConfigError(spec.text + ": " + spec.path + " exists and is not a socket");
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Failure(spec, "socket", errno);
  int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(probe);
  if (rc == 0) return Status::ConfigError(spec.text + ": another server is listening on " + spec.path);
  if (::unlink(spec.path.c_str()) != 0 && errno != ENOENT) return Failure(spec, "unlink", errno);
  return Status::OK();
}

Status OpenUnix(const ListenerSpec& spec, unsigned mode, int* fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, spec.path.c_str(), spec.path.size() + 1);
  Status s = ClearStaleSocket(spec, addr);
  if (!s.ok()) return s;
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock < 0) return Failure(spec, "socket", errno);
  if (::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(sock);
    return Failure(spec, "bind", err);
  }
  if (::chmod(spec.path.c_str(), mode) != 0 || ::listen(sock, kBacklog) != 0) {
    int err = errno;
    ::close(sock);
    ::unlink(spec.path.c_str());
    return Failure(spec, "listen", err);
  }
  *fd = sock;
  return Status::OK();
}

Status OpenInet(const ListenerSpec& spec, int* fd) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(spec.host.c_str(), spec.port.c_str(), &hints, &found);
  if (rc != 0)
    return Status::ConfigError(spec.text + ": cannot resolve " + spec.host + ": " + ::gai_strerror(rc));
  Status result = Status::ConfigError(spec.text + ": no address for " + spec.host);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int sock = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (sock < 0) {
      result = Failure(spec, "socket", errno);
      continue;
    }
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(sock, a->ai_addr, a->ai_addrlen) != 0 || ::listen(sock, kBacklog) != 0) {
      result = Failure(spec, "bind", errno);
      ::close(sock);
      continue;
    }
    *fd = sock;
    result = Status::OK();
    break;
  }
  ::freeaddrinfo(found);
  return result;
}

}  // namespace

Status OpenListener(const ListenerSpec& spec, unsigned mode, int* fd) {
  return spec.unix_socket ? OpenUnix(spec, mode, fd) : OpenInet(spec, fd);
}

}  // namespace mctable
