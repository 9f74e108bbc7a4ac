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
#include <climits>
#include <cstring>

#include "mctable/log.h"
#include "memcache/openssl_module.h"

namespace mctable {

namespace {

constexpr size_t kReadChunk = 256 * 1024;

bool IsRefusal(int err) { return err == ECONNREFUSED || err == ENOENT || err == ENOTSOCK; }

// Starts a non-blocking connect: the socket, or -1 with *err set.  *err is
// EINPROGRESS while the connect is under way.
int StartConnect(int family, const sockaddr* addr, socklen_t length, int* err) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (::connect(fd, addr, length) == 0) {
    *err = 0;
    return fd;
  }
  // EAGAIN from a unix socket means its backlog is full: no connect is
  // under way, so it is a failure of this try (not a refusal).
  *err = errno;
  if (*err == EINPROGRESS) return fd;
  ::close(fd);
  return -1;
}

// The addresses of an inet endpoint, appended to *addresses.  Resolution is
// the only step that may block (on a name service), as in Postfix.
Status Resolve(const Endpoint& endpoint, std::vector<Connection::Address>* addresses) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  int gai = ::getaddrinfo(endpoint.host.c_str(), endpoint.service.c_str(), &hints, &list);
  if (gai != 0) {
    return Status::TempError("cannot resolve " + endpoint.ToString() + ": " +
                             (gai == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(gai)));
  }
  std::string shown;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Connection::Address address{ai->ai_family, {}, static_cast<socklen_t>(ai->ai_addrlen)};
    std::memcpy(&address.addr, ai->ai_addr, ai->ai_addrlen);
    addresses->push_back(address);
    char host[NI_MAXHOST];
    if (LogVerbosity() > 0 &&
        ::getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
      shown += std::string(shown.empty() ? "" : ", ") + host;
  }
  ::freeaddrinfo(list);
  if (addresses->empty()) return Status::TempError("cannot resolve " + endpoint.ToString() + ": no usable address");
  if (LogVerbosity() > 0) LogInfo("resolved " + endpoint.ToString() + " to " + shown);
  return Status::OK();
}

}  // namespace

Connection::Connection(Endpoint endpoint, bool log_connect_failures,
                       std::shared_ptr<const TlsContext> tls)
    : endpoint_(std::move(endpoint)),
      log_connect_failures_(log_connect_failures),
      tls_(std::move(tls)) {}

Connection::~Connection() { Close(); }

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

short Connection::PollEvents() const {
  switch (state_) {
    case State::kConnecting:
      return POLLOUT;
    case State::kHandshaking:
      return handshake_wait_ == Transport::Io::kWantRead ? POLLIN : POLLOUT;
    case State::kExchanging: {
      short events = receive_wait_ == Transport::Io::kWantWrite ? POLLOUT : POLLIN;
      if (sent_ < request_.size()) events |= send_wait_ == Transport::Io::kWantRead ? POLLIN : POLLOUT;
      return events;
    }
    default:
      return 0;
  }
}

void Connection::LimitWarnings(std::string prefix) {
  warning_prefix_ = std::move(prefix);
  warnings_ = std::make_unique<WarningLimiter>();
}

void Connection::Warn(std::string_view text) {
  if (!warnings_) {
    LogWarning(text);
    return;
  }
  warnings_->Warn(warning_prefix_.empty() ? std::string(text) : warning_prefix_ + ": " + std::string(text));
}

void Connection::Close() {
  transport_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  state_ = State::kClosed;
  set_up_ = false;
  heard_from_server_ = false;
  handshake_wait_ = send_wait_ = receive_wait_ = Transport::Io::kDone;
  consumer_ = nullptr;
  request_ = {};
  input_start_ = input_end_ = 0;
}

Connection::Step Connection::Fail(std::string reason, Status* status) {
  Close();
  *status = Status::TempError(std::move(reason));
  return Step::kFailed;
}

Connection::Step Connection::ConnectFailed(int err, Status* status, bool* refused) {
  // Refused by one address after another failed otherwise: not a plain
  // refusal (the caller would not retry it).
  if (!all_refused_ && IsRefusal(err)) err = EHOSTUNREACH;
  addresses_.clear();
  *refused = IsRefusal(err);
  std::string reason = std::strerror(err);
  if (log_connect_failures_) Warn("connect to " + endpoint_.ToString() + ": " + reason);
  Close();
  *status = Status::TempError(reason);
  return Step::kFailed;
}

Connection::Step Connection::Connect(Status* status, bool* refused) {
  *refused = false;
  if (state_ == State::kReady) return Step::kDone;
  Close();
  all_refused_ = true;
  addresses_.clear();
  next_address_ = 0;
  if (endpoint_.kind == Endpoint::Kind::kUnix) {
    Address a{AF_UNIX, {}, sizeof(sockaddr_un)};
    auto* sun = reinterpret_cast<sockaddr_un*>(&a.addr);
    sun->sun_family = AF_UNIX;
    std::memcpy(sun->sun_path, endpoint_.path.data(),
                std::min(endpoint_.path.size(), sizeof(sun->sun_path) - 1));
    addresses_.push_back(a);
  } else {
    if (resolved_.empty()) {
      Status s = Resolve(endpoint_, &resolved_);
      if (!s.ok()) {
        resolved_.clear();  // a failed resolution is kept for nothing
        Warn(s.message());
        *status = s;
        return Step::kFailed;
      }
    }
    addresses_ = resolved_;
  }
  return ConnectNext(status, refused);
}

Connection::Step Connection::ConnectNext(Status* status, bool* refused) {
  int err = EHOSTUNREACH;
  while (next_address_ < addresses_.size()) {
    const Address& a = addresses_[next_address_++];
    fd_ = StartConnect(a.family, reinterpret_cast<const sockaddr*>(&a.addr), a.length, &err);
    if (fd_ >= 0 && err == 0) return Connected(status, refused);
    if (fd_ >= 0) {
      state_ = State::kConnecting;
      return Step::kPending;
    }
    if (!IsRefusal(err)) all_refused_ = false;
  }
  return ConnectFailed(err, status, refused);
}

Connection::Step Connection::Connected(Status* status, bool* refused) {
  *refused = false;
  addresses_.clear();
  if (endpoint_.kind != Endpoint::Kind::kUnix) {
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  state_ = State::kHandshaking;
  if (tls_ && endpoint_.kind != Endpoint::Kind::kUnix) {
    std::string error;
    transport_ = openssl_module::NewTlsTransport(fd_, endpoint_.host, tls_, &error);
    if (!transport_) {
      if (log_connect_failures_) Warn("connect to " + endpoint_.ToString() + ": " + error);
      return Fail(error, status);
    }
  } else {
    transport_ = NewPlainTransport(fd_);
  }
  return Handshake(status);
}

Connection::Step Connection::Handshake(Status* status) {
  std::string error;
  Transport::Io io = transport_->Handshake(&error);
  if (io == Transport::Io::kDone) {
    state_ = State::kReady;
    handshake_wait_ = Transport::Io::kDone;
    if (LogVerbosity() > 0) LogInfo("connected to " + endpoint_.ToString());
    return Step::kDone;
  }
  if (io == Transport::Io::kWantRead || io == Transport::Io::kWantWrite) {
    handshake_wait_ = io;
    return Step::kPending;
  }
  std::string reason = error.empty() ? "session set-up failed" : error;
  if (log_connect_failures_) Warn("connect to " + endpoint_.ToString() + ": " + reason);
  return Fail(reason, status);
}

Connection::Step Connection::StartExchange(std::string_view request, ReplyConsumer* consumer,
                                           Status* status) {
  if (state_ != State::kReady) return Fail("not connected", status);
  // Replies left over from an earlier exchange would belong to other
  // commands: the protocol has no such thing, so treat it as corruption.
  if (input_start_ < input_end_) return Fail("unexpected data from server before a command", status);
  input_start_ = input_end_ = 0;
  request_ = request;
  sent_ = 0;
  send_wait_ = receive_wait_ = Transport::Io::kDone;
  consumer_ = consumer;
  state_ = State::kExchanging;
  // The socket is almost always writable: send now rather than after a poll.
  return Pump(POLLOUT, status);
}

Connection::Step Connection::Continue(short revents, Status* status, bool* refused) {
  *refused = false;
  switch (state_) {
    case State::kConnecting: {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0 && !(revents & (POLLOUT | POLLERR | POLLHUP))) return Step::kPending;
      if (err == 0) return Connected(status, refused);
      ::close(fd_);
      fd_ = -1;
      if (!IsRefusal(err)) all_refused_ = false;
      if (next_address_ < addresses_.size()) return ConnectNext(status, refused);
      return ConnectFailed(err, status, refused);
    }
    case State::kHandshaking:
      return Handshake(status);
    case State::kExchanging:
      return Pump(revents, status);
    default:
      return Fail("not connected", status);
  }
}

Connection::Step Connection::Pump(short revents, Status* status) {
  using Io = Transport::Io;
  std::string error;
  constexpr short kBroken = POLLERR | POLLHUP;
  bool can_send = revents & (send_wait_ == Io::kWantRead ? POLLIN | kBroken : POLLOUT | kBroken);
  if (sent_ < request_.size() && can_send) {
    size_t done = 0;
    Io io = transport_->Send(request_.data() + sent_, request_.size() - sent_, &done, &error);
    if (io == Io::kError) return Fail(ReasonForLoss(error), status);
    send_wait_ = io;
    sent_ += done;
  }
  bool can_receive =
      (revents & (receive_wait_ == Io::kWantWrite ? POLLOUT | kBroken : POLLIN | kBroken)) ||
      transport_->HasPendingInput();
  if (!can_receive) return Step::kPending;
  for (;;) {
    ReserveInput(kReadChunk);
    size_t received = 0;
    Io io = transport_->Receive(input_.get() + input_end_, input_capacity_ - input_end_,
                                &received, &error);
    if (io == Io::kError) return Fail(ReasonForLoss(error), status);
    if (io == Io::kEof) return Fail(ReasonForLoss(kEndOfFile), status);
    receive_wait_ = io;
    if (io != Io::kDone) return Step::kPending;
    heard_from_server_ = true;
    input_end_ += received;
    size_t consumed = 0;
    auto progress = consumer_->Consume(
        std::string_view(input_.get() + input_start_, input_end_ - input_start_), &consumed);
    input_start_ += consumed;
    if (progress == ReplyConsumer::Progress::kError) return Fail(consumer_->error(), status);
    if (progress == ReplyConsumer::Progress::kDone) break;
    // Bytes the transport already holds (decrypted TLS records) would
    // never make the socket readable: take them now.
    if (!transport_->HasPendingInput()) return Step::kPending;
  }
  if (sent_ < request_.size()) return Fail("server replied before the request was sent", status);
  if (input_start_ < input_end_) return Fail("unexpected data from server after reply", status);
  input_start_ = input_end_ = 0;
  state_ = State::kReady;
  consumer_ = nullptr;
  request_ = {};
  return Step::kDone;
}

std::string Connection::ReasonForLoss(std::string reason) const {
  if (heard_from_server_ || endpoint_.kind == Endpoint::Kind::kUnix) return reason;
  if (!tls_) return reason + " (before any reply: is it a TLS server? see tls = yes)";
  if (tls_->options().cert_file.empty())
    return reason +
           " (after the TLS handshake, before any reply: does the server demand a client "
           "certificate? see tls_cert_file)";
  return reason;
}

Status Connection::Abandon() {
  Status status;
  if (state_ == State::kConnecting || state_ == State::kHandshaking) {
    bool refused = false;
    ConnectFailed(ETIMEDOUT, &status, &refused);
    return status;
  }
  Fail(std::strerror(ETIMEDOUT), &status);
  return status;
}

Status Connection::Finish(Step step, Status status, bool* refused, Deadline deadline) {
  while (step == Step::kPending) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Abandon();
    pollfd p{fd_, PollEvents(), 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (n < 0 && errno != EINTR) {
      Fail(std::strerror(errno), &status);
      return status;
    }
    if (n > 0) step = Continue(p.revents, &status, refused);
  }
  return step == Step::kDone ? Status::OK() : status;
}

Status Connection::Open(Deadline deadline, bool* refused) {
  Status status;
  Step step = Connect(&status, refused);
  return Finish(step, status, refused, deadline);
}

Status Connection::Exchange(std::string_view request, ReplyConsumer* consumer, Deadline deadline) {
  Status status;
  bool refused = false;
  Step step = StartExchange(request, consumer, &status);
  return Finish(step, status, &refused, deadline);
}

bool Connection::PeerClosedOrSpoke() const {
  if (state_ != State::kReady) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace mctable
