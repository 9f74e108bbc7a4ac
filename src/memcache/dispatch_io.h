// DispatchIo and ServerLink: what the memcache client's dispatch loop
// (client.cc) needs of the outside world -- a clock, poll(2), and one
// step-driven link per server -- so that the dispatch rules (tries,
// retries, ejection, replicas) can be tested with a fake server and a fake
// clock, without sockets or sleeps (client_test.cc).
//
// The real ones: SystemDispatchIo() reads DispatchNow() (dispatch_clock.h),
// calls ::poll, and makes a Connection (connection.h) per server; a
// Connection is a ServerLink.  A ServerLink's contract is Connection's:
// every step is non-blocking and says kDone, kPending (poll fd() for
// PollEvents(), then Continue) or kFailed with the reason; Abandon() ends a
// pending step whose deadline passed.
#ifndef MCTABLE_MEMCACHE_DISPATCH_IO_H_
#define MCTABLE_MEMCACHE_DISPATCH_IO_H_

#include <poll.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mctable/log.h"
#include "mctable/status.h"
#include "memcache/endpoint.h"
#include "memcache/tls_context.h"

namespace mctable {

class ReplyConsumer;

class ServerLink {
 public:
  enum class Step { kPending, kDone, kFailed };

  virtual ~ServerLink() = default;
  virtual const Endpoint& endpoint() const = 0;
  virtual bool is_set_up() const = 0;
  virtual void MarkSetUp() = 0;
  virtual int fd() const = 0;
  virtual short PollEvents() const = 0;
  virtual Step Connect(Status* status, bool* refused) = 0;
  virtual Step StartExchange(std::string_view request, ReplyConsumer* consumer, Status* status) = 0;
  virtual Step Continue(short revents, Status* status, bool* refused) = 0;
  virtual Status Abandon() = 0;
  // From now on the link's warnings start with `prefix` and repeats are
  // held back (Connection: common/warning_limiter.h).  Fakes ignore it.
  virtual void LimitWarnings(std::string prefix) { (void)prefix; }
  // Logs a warning about this server (through the limiter, if any).
  virtual void Warn(std::string_view text) { LogWarning(text); }
};

class DispatchIo {
 public:
  virtual ~DispatchIo() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // As poll(2).
  virtual int Poll(pollfd* fds, nfds_t count, int timeout_ms) = 0;
  virtual std::unique_ptr<ServerLink> NewLink(const Endpoint& endpoint,
                                              std::shared_ptr<const TlsContext> tls) = 0;
};

// The process's real clock (DispatchNow), poll and connections.
DispatchIo& SystemDispatchIo();

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_DISPATCH_IO_H_
