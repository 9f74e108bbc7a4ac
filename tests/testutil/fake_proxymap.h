// FakeProxymap: a scriptable stand-in for Postfix's proxymap server, for
// the faults a real one will not produce (garbage, cut-off or oversized
// replies, unknown status codes, a wrong or missing greeting, stalls).
//
// It listens on QUEUE/private/proxymap and QUEUE/private/proxywrite under
// its own directory, whose main.cf (config_dir()) points queue_directory
// there.  Each accepted connection takes the next FakeProxymapAction of the
// script; once the script is used up, connections are Normal: the greeting,
// then answers like proxymap's for a table that maps KEY to "v:KEY", except
// the keys "missing" (NOKEY), "retry" (RETRY), "config" (CONFIG), "bad"
// (BAD) and "deny" (DENY); update and delete say OK; sequence gives one
// entry (k1 = v1).  "open" is always answered normally, so an action is
// about the first request after it.
//
// Bounded: a stalled connection is held at most kMaxHoldSeconds, and the
// destructor stops everything.  Every request is recorded (raw bytes, per
// connection) so tests can check exactly what reached the wire.
#ifndef MCTABLE_TESTUTIL_FAKE_PROXYMAP_H_
#define MCTABLE_TESTUTIL_FAKE_PROXYMAP_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "testutil/testutil.h"

namespace mctable::testutil {

struct FakeProxymapAction {
  // Sent on connect; nullopt: nothing (the client waits for it).
  std::optional<std::string> greeting = std::string("protocol\0proxymap_protocol\0\0", 28);
  // The reply to the first request after "open" (raw bytes), then the
  // connection is closed; nullopt: a normal reply.
  std::optional<std::string> reply;
  bool stall = false;              // read the first request after "open", never answer
  bool close_after_reply = false;  // close after every reply (a server exiting after use)

  static FakeProxymapAction Normal() { return {}; }
  static FakeProxymapAction Reply(std::string bytes) {
    FakeProxymapAction a;
    a.reply = std::move(bytes);
    return a;
  }
  static FakeProxymapAction Stall() {
    FakeProxymapAction a;
    a.stall = true;
    return a;
  }
  static FakeProxymapAction Greeting(std::optional<std::string> greeting) {
    FakeProxymapAction a;
    a.greeting = std::move(greeting);
    return a;
  }
};

class FakeProxymap {
 public:
  static constexpr int kMaxHoldSeconds = 30;

  // main_cf: extra main.cf lines (e.g. "ipc_timeout = 1s\n").
  explicit FakeProxymap(const std::string& main_cf = "");
  ~FakeProxymap();
  FakeProxymap(const FakeProxymap&) = delete;
  FakeProxymap& operator=(const FakeProxymap&) = delete;

  bool ok() const { return !listeners_.empty(); }
  const std::string& config_dir() const { return dir_.path(); }
  std::string socket_path(const std::string& service = "proxymap") const;

  void Script(std::vector<FakeProxymapAction> actions);
  int connections() const;
  // The requests received on connection i, raw, in order.
  std::vector<std::string> Requests(int connection) const;

 private:
  struct Conn;
  void AcceptLoop(int listen_fd);
  void Serve(Conn* conn);
  std::string NormalReply(const std::string& request) const;

  TempDir dir_;
  std::vector<int> listeners_;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> accept_threads_;
  mutable std::mutex mu_;
  std::vector<FakeProxymapAction> script_;
  size_t script_next_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_FAKE_PROXYMAP_H_
