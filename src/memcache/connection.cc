#include "memcache/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "mctable/log.h"

namespace mctable {
namespace {

constexpr size_t kReadChunk = 256 * 1024;

int MillisecondsLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 1000000 ? 1000000 : static_cast<int>(left);
}

// Waits for a non-blocking connect to finish; returns 0 or an errno value.
int FinishConnect(int fd, Deadline deadline) {
  for (;;) {
    int wait_ms = MillisecondsLeft(deadline);
    if (wait_ms == 0) return ETIMEDOUT;
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }
}

// Starts a connect to one address; returns the socket or -1 with *err set.
int ConnectOne(int family, const sockaddr* addr, socklen_t addrlen, Deadline deadline, int* err) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int rc = ::connect(fd, addr, addrlen);
  if (rc != 0 && errno != EINPROGRESS && errno != EAGAIN) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  if (rc != 0) {
    *err = FinishConnect(fd, deadline);
    if (*err != 0) {
      ::close(fd);
      return -1;
    }
  }
  if (family != AF_UNIX) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  *err = 0;
  return fd;
}

bool IsRefusal(int err) { return err == ECONNREFUSED || err == ENOENT || err == ENOTSOCK; }

}  // namespace

void Connection::ReserveInput(size_t want) {
  if (input_start_ > 0 && input_start_ == input_end_) input_start_ = input_end_ = 0;
  if (input_capacity_ - input_end_ >= want) return;
  if (input_start_ > 0) {  // slide the unconsumed bytes to the front
    std::memmove(input_.get(), input_.get() + input_start_, input_end_ - input_start_);
    input_end_ -= input_start_;
    input_start_ = 0;
    if (input_capacity_ - input_end_ >= want) return;
  }
  size_t capacity = std::max(input_capacity_ * 2, input_end_ + want);
  std::unique_ptr<char[]> bigger(new char[capacity]);
  if (input_end_ > 0) std::memcpy(bigger.get(), input_.get(), input_end_);
  input_ = std::move(bigger);
  input_capacity_ = capacity;
}

Status Connection::Open(Deadline deadline, bool* refused) {
  *refused = false;
  if (fd_ >= 0) return Status::OK();
  input_start_ = input_end_ = 0;
  int err = 0;
  if (endpoint_.kind == Endpoint::Kind::kUnix) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, endpoint_.path.data(),
                std::min(endpoint_.path.size(), sizeof(sun.sun_path) - 1));
    fd_ = ConnectOne(AF_UNIX, reinterpret_cast<sockaddr*>(&sun), sizeof sun, deadline, &err);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    int gai = ::getaddrinfo(endpoint_.host.c_str(), endpoint_.service.c_str(), &hints, &list);
    if (gai != 0) {
      std::string reason = std::string("cannot resolve ") + endpoint_.ToString() + ": " +
                           (gai == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(gai));
      LogWarning(reason);
      return Status::TempError(reason);
    }
    bool all_refused = true;
    for (addrinfo* ai = list; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
      fd_ = ConnectOne(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline, &err);
      if (fd_ < 0 && !IsRefusal(err)) all_refused = false;
      if (err == ETIMEDOUT) break;
    }
    ::freeaddrinfo(list);
    if (fd_ < 0 && !all_refused && err != ETIMEDOUT && IsRefusal(err)) err = EHOSTUNREACH;
  }
  if (fd_ >= 0) {
    if (LogVerbosity() > 0) LogInfo("connected to " + endpoint_.ToString());
    return Status::OK();
  }
  *refused = IsRefusal(err);
  std::string reason = std::strerror(err);
  if (log_connect_failures_) LogWarning("connect to " + endpoint_.ToString() + ": " + reason);
  return Status::TempError(reason);
}

void Connection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  input_start_ = input_end_ = 0;
}

bool Connection::PeerClosedOrSpoke() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

Status Connection::Fail(std::string reason) {
  Close();
  return Status::TempError(std::move(reason));
}

Status Connection::Exchange(std::string_view request, ReplyConsumer* consumer, Deadline deadline) {
  if (fd_ < 0) return Status::TempError("not connected");
  size_t sent = 0;
  // Replies left over from an earlier exchange would belong to other
  // commands: the protocol has no such thing, so treat it as corruption.
  if (input_start_ < input_end_) return Fail("unexpected data from server before a command");
  input_start_ = input_end_ = 0;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (sent < request.size()) p.events |= POLLOUT;
    int wait_ms = MillisecondsLeft(deadline);
    if (wait_ms == 0) return Fail(std::strerror(ETIMEDOUT));
    int n = ::poll(&p, 1, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(std::strerror(errno));
    }
    if (n == 0) return Fail(std::strerror(ETIMEDOUT));
    if ((p.revents & POLLOUT) && sent < request.size()) {
      ssize_t w = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR) return Fail(std::strerror(errno));
      if (w > 0) sent += static_cast<size_t>(w);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ReserveInput(kReadChunk);
      ssize_t r = ::recv(fd_, input_.get() + input_end_, input_capacity_ - input_end_, 0);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return Fail(std::strerror(errno));
      }
      if (r == 0) return Fail(kEndOfFile);
      input_end_ += static_cast<size_t>(r);
      size_t consumed = 0;
      auto progress = consumer->Consume(
          std::string_view(input_.get() + input_start_, input_end_ - input_start_), &consumed);
      input_start_ += consumed;
      if (progress == ReplyConsumer::Progress::kError) return Fail(consumer->error());
      if (progress == ReplyConsumer::Progress::kDone) {
        if (sent < request.size()) return Fail("server replied before the request was sent");
        if (input_start_ < input_end_) return Fail("unexpected data from server after reply");
        input_start_ = input_end_ = 0;
        return Status::OK();
      }
    }
  }
}

}  // namespace mctable
