// ClientConnection: one client socket of mctabled: its input buffer, the
// replies it is owed in request order, its output buffer and the times
// that the limits are checked against.  It does the socket I/O; the event
// loop decides what the requests mean.
//
// Order: every request takes a slot when it is parsed; answers fill slots
// in any order (different maps answer at different speeds) and leave in
// slot order, so a pipelining client reads its replies in request order.
//
// Bounds (the defence against clients that stall or never read): input is
// read only while fewer than max_pipeline requests are unanswered and less
// than kMaxUnsentBytes of replies wait, and at most kReadChunk bytes at a
// time, so the input buffer holds at most one request's limit plus one
// chunk; a client that sends half a request or stops reading its replies
// is cut off by the event loop after request_timeout (see Stalled()).
#ifndef MCTABLE_DAEMON_CLIENT_CONNECTION_H_
#define MCTABLE_DAEMON_CLIENT_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "daemon/daemon_config.h"

namespace mctable {

class ClientConnection {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kReadChunk = 65536;
  static constexpr size_t kMaxUnsentBytes = 262144;

  enum class IoResult { kOk, kClosed };

  ClientConnection(uint64_t id, int fd, ListenerKind kind, std::string tcp_map, Clock::time_point now);
  ~ClientConnection();  // closes the socket
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  ListenerKind kind() const { return kind_; }
  const std::string& tcp_map() const { return tcp_map_; }

  // Reads one chunk.  kClosed on EOF or a read error (the caller closes
  // once the owed replies are out, see closing()).
  IoResult Read(Clock::time_point now);
  // Writes what it can; kClosed on a write error.
  IoResult Write(Clock::time_point now);

  // The unparsed input; the caller parses and then Consume()s.
  std::string_view input() const { return std::string_view(in_).substr(in_start_); }
  void Consume(size_t bytes, Clock::time_point now);
  void DiscardInput();
  // Drops the next `bytes` of input, those there now and those still to
  // come (the data of a value refused for its size), without buffering them.
  void DropIncoming(size_t bytes);

  // A new slot for a request, and the reply for a slot (ignored if the
  // slot is unknown).  Ready replies move to the output in slot order.
  uint64_t TakeSlot();
  void Answer(uint64_t slot, std::string reply);
  size_t unanswered() const { return slots_.size(); }

  // After the owed replies: close.  Set on EOF and on framing errors.
  void CloseWhenDone() { closing_ = true; }
  bool closing() const { return closing_; }
  bool done() const { return closing_ && slots_.empty() && unsent() == 0; }

  size_t unsent() const { return out_.size() - out_sent_; }
  bool WantsRead(size_t max_pipeline) const {
    return !closing_ && slots_.size() < max_pipeline && unsent() < kMaxUnsentBytes;
  }
  bool WantsWrite() const { return unsent() > 0; }

  // Why the client should be cut off now, or nullptr: idle past
  // idle_timeout with nothing in progress, half a request (or the rest of
  // a dropped value) for longer than request_timeout, replies unread for
  // longer than request_timeout.
  const char* Stalled(Clock::time_point now, const DaemonConfig& config, size_t max_pipeline) const;

  uint32_t epoll_events = 0;  // what the event loop registered

 private:
  const uint64_t id_;
  const int fd_;
  const ListenerKind kind_;
  const std::string tcp_map_;

  std::string in_;
  size_t in_start_ = 0;
  std::string out_;
  size_t out_sent_ = 0;
  struct Slot {
    bool ready = false;
    std::string reply;
  };
  std::deque<Slot> slots_;
  uint64_t first_slot_ = 0;  // the number of slots_.front()
  bool closing_ = false;
  size_t drop_pending_ = 0;  // input bytes still to be dropped (DropIncoming)

  Clock::time_point last_activity_;   // a request completed or bytes written
  Clock::time_point partial_since_;   // input began to hold an incomplete request
  Clock::time_point write_blocked_since_;
};

}  // namespace mctable

#endif  // MCTABLE_DAEMON_CLIENT_CONNECTION_H_
