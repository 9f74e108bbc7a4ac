// FaultServer: a scriptable fake memcached for the faults a real one will
// not produce (stalls, truncated or oversized replies, replies for other
// keys, garbage, error lines).
//
// It listens on a free loopback port (127.0.0.1) and serves every
// connection in its own thread.  Each accepted connection takes the next
// Action of the script (connection 1 the first, ...); once the script is
// used up, connections get `Action::Normal()`, a small in-memory memcached
// (get/set/delete), so a test can check that the operation after a fault
// works.  An Action decides how the FIRST command on its connection is
// answered; what happens after that is Action::then.
//
// Everything is bounded in time: a stalled connection is held at most
// kMaxHoldSeconds, and the destructor stops the listener and every
// connection thread.  Every byte received is recorded, per connection, so
// tests can assert exactly what reached the wire.
#ifndef MCTABLE_TESTUTIL_FAULT_SERVER_H_
#define MCTABLE_TESTUTIL_FAULT_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mctable::testutil {

struct FaultAction {
  enum class Kind {
    kNormal,  // answer like memcached
    kSilent,  // read the command, never answer
    kReply,   // answer the first command with `reply`
  };
  // What the connection does after the first reply has been sent.
  enum class Then {
    kClose,     // close the connection
    kHang,      // keep it open, answer nothing more
    kContinue,  // answer later commands normally
  };
  Kind kind = Kind::kNormal;
  // For kReply: the bytes sent.  "{key}" is replaced by the first key of
  // the command (a get's first key, a set's or delete's key).
  std::string reply;
  // Pause before each byte of every reply on this connection (slow server).
  std::chrono::milliseconds byte_delay{0};
  Then then = Then::kContinue;

  static FaultAction Normal() { return {}; }
  static FaultAction Silent() { return {Kind::kSilent, "", {}, Then::kHang}; }
  static FaultAction Reply(std::string bytes, Then then = Then::kClose) {
    return {Kind::kReply, std::move(bytes), {}, then};
  }
  // Normal answers, one byte every `delay`.
  static FaultAction Slow(std::chrono::milliseconds delay) {
    return {Kind::kNormal, "", delay, Then::kContinue};
  }
};

class FaultServer {
 public:
  // Longest time a connection is held open by kSilent / kHang.
  static constexpr int kMaxHoldSeconds = 30;

  FaultServer();  // starts listening; check ok()
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  int port() const { return port_; }
  // "inet:127.0.0.1:PORT"
  std::string endpoint() const;

  // Replaces the script: connection k (counted from the next one accepted)
  // gets actions[k]; later connections are Normal.
  void Script(std::vector<FaultAction> actions);
  // `count` copies of `action`, then Normal.
  void Script(const FaultAction& action, int count) {
    Script(std::vector<FaultAction>(static_cast<size_t>(count), action));
  }

  // The in-memory store of Normal connections.
  void Put(const std::string& key, const std::string& value, unsigned flags = 0);
  bool Has(const std::string& key, std::string* value = nullptr) const;

  // Connections accepted since the start (or the last ResetRecording).
  int connections() const;
  // Bytes received on connection i (0-based, counted like connections()),
  // and on all connections (including one opened before the last reset and
  // still in use), in the order of the connections.
  std::string Received(int connection) const;
  std::string AllReceived() const;
  // When each connection counted by connections() was accepted.
  std::vector<std::chrono::steady_clock::time_point> AcceptTimes() const;
  // Forgets the recorded bytes and restarts the connection count (the
  // store and the script are kept).
  void ResetRecording();
  // Waits (bounded) until every connection accepted so far has been closed
  // by the client or the server, so recordings are complete.
  bool WaitIdle(std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) const;

 private:
  struct Conn {
    int fd = -1;
    FaultAction action;
    std::string received;
    bool done = false;
    std::chrono::steady_clock::time_point accepted;
    std::thread thread;
  };
  void AcceptLoop();
  void Serve(Conn* conn);
  bool SendBytes(Conn* conn, const std::string& bytes);
  // Takes the next complete command (its line, and a set's data block)
  // off the front of *buffer; false if none is complete yet.
  static bool NextCommand(std::string* buffer, std::string* command_line, std::string* data);
  std::string NormalReply(const std::string& line, const std::string& data);
  bool Stopping() const { return stop_.load(); }

  int listen_fd_ = -1;
  int port_ = 0;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<FaultAction> script_;
  size_t script_next_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;
  size_t recording_start_ = 0;  // conns_ index where connections() starts counting
  struct Item {
    std::string value;
    unsigned flags = 0;
  };
  std::map<std::string, Item> store_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_FAULT_SERVER_H_
