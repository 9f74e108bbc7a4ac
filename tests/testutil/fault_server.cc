#include "testutil/fault_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <sstream>

namespace mctable::testutil {
namespace {

constexpr int kPollMs = 20;

std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

std::string Substitute(std::string text, const std::string& key) {
  const std::string pattern = "{key}";
  for (size_t at = text.find(pattern); at != std::string::npos;
       at = text.find(pattern, at + key.size()))
    text.replace(at, pattern.size(), key);
  return text;
}

}  // namespace

FaultServer::FaultServer() {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) return;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = 0;
  socklen_t len = sizeof sin;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
    ::close(fd);
    return;
  }
  port_ = ntohs(sin.sin_port);
  listen_fd_ = fd;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultServer::~FaultServer() {
  stop_ = true;
  if (wake_pipe_[1] >= 0) (void)!::write(wake_pipe_[1], "x", 1);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::vector<std::unique_ptr<Conn>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns.swap(conns_);
  }
  for (auto& c : conns)
    if (c->thread.joinable()) c->thread.join();
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

std::string FaultServer::endpoint() const { return "inet:127.0.0.1:" + std::to_string(port_); }

void FaultServer::Script(std::vector<FaultAction> actions) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(actions);
  script_next_ = 0;
}

void FaultServer::Put(const std::string& key, const std::string& value, unsigned flags) {
  std::lock_guard<std::mutex> lock(mu_);
  store_[key] = Item{value, flags};
}

bool FaultServer::Has(const std::string& key, std::string* value) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = store_.find(key);
  if (it == store_.end()) return false;
  if (value) *value = it->second.value;
  return true;
}

int FaultServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(conns_.size() - recording_start_);
}

std::string FaultServer::Received(int connection) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = recording_start_ + static_cast<size_t>(connection);
  return i < conns_.size() ? conns_[i]->received : std::string();
}

std::string FaultServer::AllReceived() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string all;
  for (const auto& c : conns_) all += c->received;
  return all;
}

std::vector<std::chrono::steady_clock::time_point> FaultServer::AcceptTimes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::chrono::steady_clock::time_point> times;
  for (size_t i = recording_start_; i < conns_.size(); ++i) times.push_back(conns_[i]->accepted);
  return times;
}

void FaultServer::ResetRecording() {
  std::lock_guard<std::mutex> lock(mu_);
  // Connections still open keep recording (a table reuses its connection),
  // so every buffer is cleared and AllReceived() reads them all.
  for (auto& c : conns_) c->received.clear();
  recording_start_ = conns_.size();
}

bool FaultServer::WaitIdle(std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, limit, [this] {
    for (const auto& c : conns_)
      if (!c->done) return false;
    return true;
  });
}

void FaultServer::AcceptLoop() {
  while (!Stopping()) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int n = ::poll(p, 2, 200);
    if (n <= 0) continue;
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    conn->accepted = std::chrono::steady_clock::now();
    if (script_next_ < script_.size()) conn->action = script_[script_next_++];
    Conn* raw = conn.get();
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

bool FaultServer::SendBytes(Conn* conn, const std::string& bytes) {
  const auto delay = conn->action.byte_delay;
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (Stopping()) return false;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    size_t chunk = delay.count() > 0 ? 1 : bytes.size() - sent;
    ssize_t w = ::send(conn->fd, bytes.data() + sent, chunk, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{conn->fd, POLLOUT, 0};
      ::poll(&p, 1, kPollMs);
      continue;
    }
    if (w <= 0) return false;
    sent += static_cast<size_t>(w);
  }
  return true;
}

bool FaultServer::NextCommand(std::string* buffer, std::string* command_line, std::string* data) {
  size_t nl = buffer->find('\n');
  if (nl == std::string::npos) return false;
  std::string line = buffer->substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t used = nl + 1;
  data->clear();
  std::vector<std::string> t = Tokens(line);
  if (!t.empty() && (t[0] == "set" || t[0] == "add" || t[0] == "replace") && t.size() >= 5) {
    size_t bytes = 0;
    auto [ptr, ec] = std::from_chars(t[4].data(), t[4].data() + t[4].size(), bytes);
    if (ec == std::errc() && ptr == t[4].data() + t[4].size()) {
      if (buffer->size() < used + bytes + 2) return false;
      *data = buffer->substr(used, bytes);
      used += bytes + 2;
    }
  }
  *command_line = line;
  buffer->erase(0, used);
  return true;
}

std::string FaultServer::NormalReply(const std::string& line, const std::string& data) {
  std::vector<std::string> t = Tokens(line);
  std::lock_guard<std::mutex> lock(mu_);
  if (t.empty()) return "ERROR\r\n";
  if ((t[0] == "get" || t[0] == "gets") && t.size() >= 2) {
    std::string out;
    for (size_t i = 1; i < t.size(); ++i) {
      auto it = store_.find(t[i]);
      if (it == store_.end()) continue;
      out += "VALUE " + t[i] + " " + std::to_string(it->second.flags) + " " +
             std::to_string(it->second.value.size()) + "\r\n" + it->second.value + "\r\n";
    }
    return out + "END\r\n";
  }
  if ((t[0] == "set" || t[0] == "add" || t[0] == "replace") && t.size() >= 5) {
    unsigned flags = static_cast<unsigned>(std::strtoul(t[2].c_str(), nullptr, 10));
    store_[t[1]] = Item{data, flags};
    return "STORED\r\n";
  }
  if (t[0] == "delete" && t.size() >= 2) return store_.erase(t[1]) ? "DELETED\r\n" : "NOT_FOUND\r\n";
  if (t[0] == "version") return "VERSION 1.6.0-fault\r\n";
  return "ERROR\r\n";
}

void FaultServer::Serve(Conn* conn) {
  const auto hold_until = std::chrono::steady_clock::now() + std::chrono::seconds(kMaxHoldSeconds);
  std::string buffer;
  bool first = true;
  bool hanging = false;
  bool closing = false;
  while (!Stopping() && !closing && std::chrono::steady_clock::now() < hold_until) {
    pollfd p{conn->fd, POLLIN, 0};
    int n = ::poll(&p, 1, kPollMs);
    if (n <= 0) continue;
    char buf[65536];
    ssize_t r = ::recv(conn->fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) break;  // the client closed
    {
      std::lock_guard<std::mutex> lock(mu_);
      conn->received.append(buf, static_cast<size_t>(r));
    }
    if (hanging) continue;
    buffer.append(buf, static_cast<size_t>(r));
    std::string line, data;
    while (!hanging && !closing && NextCommand(&buffer, &line, &data)) {
      bool scripted = first && conn->action.kind != FaultAction::Kind::kNormal;
      first = false;
      if (!scripted) {
        if (line == "quit") {
          closing = true;
          break;
        }
        if (!SendBytes(conn, NormalReply(line, data))) closing = true;
        continue;
      }
      if (conn->action.kind == FaultAction::Kind::kSilent) {
        hanging = true;
        break;
      }
      std::vector<std::string> t = Tokens(line);
      std::string key = t.size() >= 2 ? t[1] : "";
      if (!SendBytes(conn, Substitute(conn->action.reply, key))) closing = true;
      switch (conn->action.then) {
        case FaultAction::Then::kClose:
          closing = true;
          break;
        case FaultAction::Then::kHang:
          hanging = true;
          break;
        case FaultAction::Then::kContinue:
          break;
      }
    }
  }
  ::close(conn->fd);
  std::lock_guard<std::mutex> lock(mu_);
  conn->done = true;
  cv_.notify_all();
}

}  // namespace mctable::testutil
