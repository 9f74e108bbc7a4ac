// FakeProxymap; see fake_proxymap.h.
#include "testutil/fake_proxymap.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>

namespace mctable::testutil {
namespace {

using namespace std::string_literals;

// Splits one complete attribute list off the front of *buffer (its own
// little parser, so that the client's codec is not tested with itself).
bool TakeRequest(std::string* buffer, std::map<std::string, std::string>* attrs, std::string* raw) {
  size_t pos = 0;
  attrs->clear();
  for (;;) {
    size_t name_end = buffer->find('\0', pos);
    if (name_end == std::string::npos) return false;
    if (name_end == pos) {  // empty name: end of list
      *raw = buffer->substr(0, pos + 1);
      buffer->erase(0, pos + 1);
      return true;
    }
    size_t value_end = buffer->find('\0', name_end + 1);
    if (value_end == std::string::npos) return false;
    attrs->emplace(buffer->substr(pos, name_end - pos), buffer->substr(name_end + 1, value_end - name_end - 1));
    pos = value_end + 1;
  }
}

std::string Reply(std::initializer_list<std::pair<std::string, std::string>> attrs) {
  std::string out;
  for (const auto& [name, value] : attrs) out += name + '\0' + value + '\0';
  return out + '\0';
}

bool SendAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

struct FakeProxymap::Conn {
  int fd = -1;
  FakeProxymapAction action;
  std::vector<std::string> requests;
  std::thread thread;
};

FakeProxymap::FakeProxymap(const std::string& main_cf) {
  dir_.WriteFile("main.cf", "queue_directory = " + dir_.path() + "/queue\n" + main_cf);
  ::mkdir((dir_.path() + "/queue").c_str(), 0755);
  ::mkdir((dir_.path() + "/queue/private").c_str(), 0755);
  if (::pipe(wake_pipe_) != 0) return;
  for (const char* service : {"proxymap", "proxywrite"}) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::string path = socket_path(service);
    std::strncpy(sun.sun_path, path.c_str(), sizeof(sun.sun_path) - 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 || ::listen(fd, 64) != 0) {
      if (fd >= 0) ::close(fd);
      for (int l : listeners_) ::close(l);
      listeners_.clear();
      return;
    }
    listeners_.push_back(fd);
  }
  for (int fd : listeners_) accept_threads_.emplace_back([this, fd] { AcceptLoop(fd); });
}

FakeProxymap::~FakeProxymap() {
  stop_ = true;
  if (wake_pipe_[1] >= 0) (void)!::write(wake_pipe_[1], "x", 1);
  for (auto& t : accept_threads_) t.join();
  std::vector<std::unique_ptr<Conn>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns.swap(conns_);
  }
  for (auto& c : conns)
    if (c->thread.joinable()) c->thread.join();
  for (int fd : listeners_) ::close(fd);
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

std::string FakeProxymap::socket_path(const std::string& service) const {
  return dir_.path() + "/queue/private/" + service;
}

void FakeProxymap::Script(std::vector<FakeProxymapAction> actions) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(actions);
  script_next_ = 0;
}

int FakeProxymap::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(conns_.size());
}

std::vector<std::string> FakeProxymap::Requests(int connection) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (connection < 0 || static_cast<size_t>(connection) >= conns_.size()) return {};
  return conns_[static_cast<size_t>(connection)]->requests;
}

void FakeProxymap::AcceptLoop(int listen_fd) {
  while (!stop_) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, 200) <= 0 || !(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    if (script_next_ < script_.size()) conn->action = script_[script_next_++];
    Conn* raw = conn.get();
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

std::string FakeProxymap::NormalReply(const std::string& request) const {
  std::string buffer = request, raw;
  std::map<std::string, std::string> attrs;
  TakeRequest(&buffer, &attrs, &raw);
  const std::string& op = attrs["request"];
  if (op == "open") return Reply({{"status", "0"}, {"flags", "0"}});
  if (op == "update" || op == "delete") return Reply({{"status", "0"}});
  if (op == "sequence")
    return attrs["function"] == "0" ? Reply({{"status", "0"}, {"key", "k1"}, {"value", "v1"}})
                                    : Reply({{"status", "1"}, {"key", ""}, {"value", ""}});
  if (op != "lookup") return Reply({{"status", "3"}});
  static const std::map<std::string, std::string> kCodes = {
      {"missing", "1"}, {"retry", "2"}, {"bad", "3"}, {"deny", "4"}, {"config", "5"}};
  const std::string& key = attrs["key"];
  auto code = kCodes.find(key);
  if (code != kCodes.end()) return Reply({{"status", code->second}, {"value", ""}});
  return Reply({{"status", "0"}, {"value", "v:" + key}});
}

void FakeProxymap::Serve(Conn* conn) {
  const auto hold_until = std::chrono::steady_clock::now() + std::chrono::seconds(kMaxHoldSeconds);
  auto finish = [conn] {
    ::shutdown(conn->fd, SHUT_RDWR);
    ::close(conn->fd);
  };
  if (conn->action.greeting && !SendAll(conn->fd, *conn->action.greeting)) return finish();
  std::string buffer;
  bool first_after_open = true;
  bool stalled = false;
  while (!stop_ && std::chrono::steady_clock::now() < hold_until) {
    pollfd p{conn->fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[65536];
    ssize_t n = ::recv(conn->fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    if (stalled) continue;  // hold the line, answer nothing
    buffer.append(chunk, static_cast<size_t>(n));
    std::map<std::string, std::string> attrs;
    std::string raw;
    while (TakeRequest(&buffer, &attrs, &raw)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        conn->requests.push_back(raw);
      }
      bool scripted = attrs["request"] != "open" && first_after_open;
      if (attrs["request"] != "open") first_after_open = false;
      if (scripted && conn->action.stall) {
        stalled = true;
        break;
      }
      if (scripted && conn->action.reply) {
        SendAll(conn->fd, *conn->action.reply);
        return finish();
      }
      if (!SendAll(conn->fd, NormalReply(raw)) || conn->action.close_after_reply) return finish();
    }
  }
  finish();
}

}  // namespace mctable::testutil
