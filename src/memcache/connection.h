// Connection: one stream socket to a memcached server, with every wait
// bounded by a deadline.
//
// The socket is non-blocking; connect, send and receive wait with poll()
// until the caller's deadline, so a server that accepts and never answers
// costs at most the time the caller allows.  Exchange() writes a request
// while it reads replies, so a long pipeline cannot deadlock on full socket
// buffers.  After any failure the connection is closed: a half-read reply
// must never be taken as the answer to the next command.
#ifndef MCTABLE_MEMCACHE_CONNECTION_H_
#define MCTABLE_MEMCACHE_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mctable/status.h"
#include "memcache/endpoint.h"

namespace mctable {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Parses replies as they arrive.  Consume() is called with all input not
// yet consumed; it sets *consumed to the bytes it used (whole replies) and
// returns kDone when every expected reply has been read.
class ReplyConsumer {
 public:
  enum class Progress { kNeedMore, kDone, kError };
  virtual ~ReplyConsumer() = default;
  virtual Progress Consume(std::string_view input, size_t* consumed) = 0;
  // Why Consume returned kError (a reason, e.g. "unexpected reply: ...").
  virtual std::string error() const = 0;
};

class Connection {
 public:
  // The failure message when the server closed the connection mid-exchange.
  static constexpr char kEndOfFile[] = "lost connection: end of file from server";

  // log_connect_failures: Open() logs its "connect to ..." warning (callers
  // with their own wording turn it off).
  explicit Connection(Endpoint endpoint, bool log_connect_failures = true)
      : endpoint_(std::move(endpoint)), log_connect_failures_(log_connect_failures) {}
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }
  bool is_open() const { return fd_ >= 0; }

  // Connects unless already connected.  On failure *refused tells whether
  // the server accepted no connection (refused, no such socket), which the
  // caller does not retry.  The error message is the reason alone
  // ("Connection refused"); a warning "connect to ENDPOINT: REASON" is logged.
  Status Open(Deadline deadline, bool* refused);
  void Close();
  // Whether the peer has closed an open connection or sent something
  // nobody asked for (the socket is readable between exchanges); either
  // way the connection is no longer fit for a request.
  bool PeerClosedOrSpoke() const;

  // Sends `request` and feeds incoming bytes to `consumer` until it is done.
  // Fails (and closes) on timeout, end of file, socket error or a consumer
  // error; the message is the reason.
  Status Exchange(std::string_view request, ReplyConsumer* consumer, Deadline deadline);

 private:
  Status Fail(std::string reason);

  // Makes room for at least `want` more bytes after input_end_.
  void ReserveInput(size_t want);

  Endpoint endpoint_;
  bool log_connect_failures_ = true;
  int fd_ = -1;
  // Received bytes [input_start_, input_end_) not yet consumed.  A plain
  // buffer rather than std::string: growing a string zero-fills it, which
  // costs more than the receive itself on a fast pipeline.
  std::unique_ptr<char[]> input_;
  size_t input_capacity_ = 0;
  size_t input_start_ = 0;
  size_t input_end_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_CONNECTION_H_
