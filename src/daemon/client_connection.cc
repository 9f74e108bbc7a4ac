// One client socket's buffers, reply order and timers; see client_connection.h.
#include "daemon/client_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mctable {

ClientConnection::ClientConnection(uint64_t id, int fd, ListenerKind kind, std::string tcp_map,
                                   Clock::time_point now)
    : id_(id), fd_(fd), kind_(kind), tcp_map_(std::move(tcp_map)), last_activity_(now),
      partial_since_(now), write_blocked_since_(now) {}

ClientConnection::~ClientConnection() { ::close(fd_); }

ClientConnection::IoResult ClientConnection::Read(Clock::time_point now) {
  if (in_start_ > 0) {  // drop what was parsed before adding more
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  // Read into a scratch buffer and append only what came: growing in_ by a
  // whole chunk would clear 64 KiB per request.
  static thread_local char scratch[kReadChunk];
  ssize_t n;
  do {
    n = ::recv(fd_, scratch, sizeof scratch, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kOk;
  if (n <= 0) return IoResult::kClosed;
  size_t got = static_cast<size_t>(n);
  const char* data = scratch;
  if (drop_pending_ > 0) {
    size_t dropped = std::min(drop_pending_, got);
    drop_pending_ -= dropped;
    data += dropped;
    got -= dropped;
    if (got == 0) return IoResult::kOk;
  }
  if (in_.empty()) partial_since_ = now;
  in_.append(data, got);
  return IoResult::kOk;
}

ClientConnection::IoResult ClientConnection::Write(Clock::time_point now) {
  while (unsent() > 0) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, unsent(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kOk;
    if (n <= 0) return IoResult::kClosed;
    out_sent_ += static_cast<size_t>(n);
    last_activity_ = now;
    write_blocked_since_ = now;
  }
  out_.clear();
  out_sent_ = 0;
  return IoResult::kOk;
}

void ClientConnection::Consume(size_t bytes, Clock::time_point now) {
  in_start_ += bytes;
  last_activity_ = now;
  if (in_start_ >= in_.size()) {
    in_.clear();
    in_start_ = 0;
  } else {
    partial_since_ = now;
  }
}

void ClientConnection::DropIncoming(size_t bytes) {
  size_t here = std::min(bytes, in_.size() - in_start_);
  in_start_ += here;
  if (in_start_ >= in_.size()) {
    in_.clear();
    in_start_ = 0;
  }
  drop_pending_ = bytes - here;
  // The rest of the value must come within request_timeout, as the rest
  // of any request must.
  if (drop_pending_ > 0) partial_since_ = Clock::now();
}

void ClientConnection::DiscardInput() {
  in_.clear();
  in_start_ = 0;
}

uint64_t ClientConnection::TakeSlot() {
  slots_.emplace_back();
  return first_slot_ + slots_.size() - 1;
}

void ClientConnection::Answer(uint64_t slot, std::string reply) {
  if (slot < first_slot_ || slot - first_slot_ >= slots_.size()) return;
  Slot& s = slots_[slot - first_slot_];
  s.ready = true;
  s.reply = std::move(reply);
  if (unsent() == 0 && slots_.front().ready) write_blocked_since_ = Clock::now();
  while (!slots_.empty() && slots_.front().ready) {
    out_ += slots_.front().reply;
    slots_.pop_front();
    ++first_slot_;
  }
}

const char* ClientConnection::Stalled(Clock::time_point now, const DaemonConfig& config,
                                      size_t max_pipeline) const {
  const auto request_timeout = std::chrono::seconds(config.request_timeout_seconds);
  if (unsent() > 0 && now - write_blocked_since_ > request_timeout)
    return "client does not read its replies";
  if ((!input().empty() || drop_pending_ > 0) && WantsRead(max_pipeline) &&
      now - partial_since_ > request_timeout)
    return "request incomplete after request_timeout";
  if (slots_.empty() && unsent() == 0 && input().empty() &&
      now - last_activity_ > std::chrono::seconds(config.idle_timeout_seconds))
    return "idle timeout";
  return nullptr;
}

}  // namespace mctable
