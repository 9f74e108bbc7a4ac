// Connection: one stream socket to a memcached server, driven step by step
// so that one thread can keep connections to several servers busy at once.
//
// The socket is non-blocking and nothing here waits: Connect() and
// StartExchange() begin, then the caller polls fd() for PollEvents() and
// hands the readiness to Continue() until it says kDone or kFailed.  The
// caller owns the clock: when its deadline for the try passes it calls
// Abandon(), which closes the socket.  An exchange writes its request while
// it reads replies, so a long pipeline cannot deadlock on full socket
// buffers.  After any failure the connection is closed: a half-read reply
// must never be taken as the answer to the next command.
//
// A host name is resolved once, on the first Connect, and the addresses are
// kept for the life of the Connection (one table open): reconnects and
// retries do not ask the resolver again.  A failed resolution is kept for
// nothing: the next Connect tries again.  The resolver's own limits
// (resolv.conf timeout and attempts) bound that one lookup; a numeric
// address needs none.
//
// Bytes move only through the Transport (transport.h), created when the
// socket has connected; its handshake runs before the connection is ready.
// With a TlsContext, an inet endpoint gets the TLS transport (the name
// checked is the endpoint's host unless tls_server_name says otherwise);
// a unix-domain socket stays plain.  Memcached-protocol set-up after that
// (ASCII authentication) is the caller's: it runs its exchange on a
// connection that is !is_set_up() and then calls MarkSetUp().
#ifndef MCTABLE_MEMCACHE_CONNECTION_H_
#define MCTABLE_MEMCACHE_CONNECTION_H_

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/warning_limiter.h"
#include "mctable/status.h"
#include "memcache/dispatch_io.h"
#include "memcache/endpoint.h"
#include "memcache/tls_context.h"
#include "memcache/transport.h"

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

class Connection : public ServerLink {
 public:
  // One resolved socket address.
  struct Address {
    int family;
    sockaddr_storage addr;
    socklen_t length;
  };

  using Step = ServerLink::Step;

  // The failure message when the server closed the connection mid-exchange.
  static constexpr char kEndOfFile[] = "lost connection: end of file from server";

  // log_connect_failures: a failed connect logs its "connect to ..."
  // warning (callers with their own wording turn it off).
  // tls: null for plain connections.
  explicit Connection(Endpoint endpoint, bool log_connect_failures = true,
                      std::shared_ptr<const TlsContext> tls = nullptr);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Endpoint& endpoint() const override { return endpoint_; }

  // From now on the connection's warnings start with `prefix` (the
  // memcache client's "database memcache:FILE") and repeats are held back
  // (common/warning_limiter.h): a server that is down gets its first
  // warning, then one per minute with a count, not one per lookup.
  void LimitWarnings(std::string prefix) override;
  // Logs a warning about this server: as is, or with the prefix and
  // through the limiter after LimitWarnings.
  void Warn(std::string_view text) override;
  // Connected, set up, and no exchange running.
  bool is_ready() const { return state_ == State::kReady; }
  // Ready, and the caller's session set-up has run on this connection
  // since it was opened (cleared by every Close).
  bool is_set_up() const override { return state_ == State::kReady && set_up_; }
  void MarkSetUp() override { set_up_ = true; }
  // The socket to poll while a step is pending; -1 otherwise.
  int fd() const override { return fd_; }
  short PollEvents() const override;

  // Connects unless ready already.  kDone: ready.  kPending: poll and
  // Continue().  kFailed: *status is the reason alone ("Connection
  // refused"), a warning "connect to ENDPOINT: REASON" has been logged, and
  // *refused tells whether the server accepted no connection (refused, no
  // such socket), which the caller does not retry.
  Step Connect(Status* status, bool* refused) override;

  // Starts sending `request` (which must stay alive until the exchange
  // ends) and feeding replies to `consumer`; the connection must be ready.
  // May finish at once (kDone/kFailed) when the socket had it all.
  Step StartExchange(std::string_view request, ReplyConsumer* consumer, Status* status) override;

  // Advances the pending connect or exchange with poll's revents.  On
  // kFailed the connection is closed and *status says why ("Connection
  // timed out", "lost connection: end of file from server", the consumer's
  // error); *refused as for Connect.
  Step Continue(short revents, Status* status, bool* refused) override;

  // The caller's deadline passed while a step was pending: closes and
  // returns the error for it (a connect also logs its warning).
  Status Abandon() override;

  void Close();

  // Blocking forms of the steps above, for a caller with one connection
  // (the proxymap client): each polls this socket alone until the step
  // ends or `deadline` passes (then Abandon()).  Same results and messages.
  Status Open(Deadline deadline, bool* refused);
  Status Exchange(std::string_view request, ReplyConsumer* consumer, Deadline deadline);

  // Whether the peer has closed a ready connection or sent something nobody
  // asked for (the socket is readable between exchanges); either way the
  // connection is no longer fit for a request.
  bool PeerClosedOrSpoke() const;

 private:
  enum class State { kClosed, kConnecting, kHandshaking, kReady, kExchanging };

  Step Fail(std::string reason, Status* status);
  Step ConnectFailed(int err, Status* status, bool* refused);
  // Starts a connect to addresses_[next_address_...]; skips those that fail at once.
  Step ConnectNext(Status* status, bool* refused);
  Step Connected(Status* status, bool* refused);
  Step Handshake(Status* status);
  Step Pump(short revents, Status* status);
  // `reason`, with a hint when the server dropped a new connection without
  // a word: a TLS server spoken to in plain text, or one that demands a
  // client certificate, does exactly that.
  std::string ReasonForLoss(std::string reason) const;
  // Polls until a pending step ends or the deadline passes.
  Status Finish(Step step, Status status, bool* refused, Deadline deadline);
  // Makes room for at least `want` more bytes after input_end_.
  void ReserveInput(size_t want);

  Endpoint endpoint_;
  bool log_connect_failures_ = true;
  std::string warning_prefix_;
  std::unique_ptr<WarningLimiter> warnings_;  // set by LimitWarnings
  std::shared_ptr<const TlsContext> tls_;
  State state_ = State::kClosed;
  bool set_up_ = false;
  // A byte of reply has come since the socket connected.  A connection
  // that ends before any does so in a way worth a hint (ReasonForLoss).
  bool heard_from_server_ = false;
  int fd_ = -1;
  std::unique_ptr<Transport> transport_;
  // What the transport's last handshake, send and receive waited for
  // (kWantRead / kWantWrite), or kDone.
  Transport::Io handshake_wait_ = Transport::Io::kDone;
  Transport::Io send_wait_ = Transport::Io::kDone;
  Transport::Io receive_wait_ = Transport::Io::kDone;

  // An inet endpoint's addresses, resolved once (see above); the ones a
  // connect in progress has still to try.
  std::vector<Address> resolved_;
  std::vector<Address> addresses_;
  size_t next_address_ = 0;
  bool all_refused_ = true;

  // The exchange in progress.
  std::string_view request_;
  size_t sent_ = 0;
  ReplyConsumer* consumer_ = nullptr;

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
