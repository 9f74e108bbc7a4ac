// NutcrackerServer: Debian's nutcracker (twemproxy) started by a test in
// front of the test's memcached servers.
//
// Start() writes a one-pool configuration into a temporary directory and
// runs `nutcracker -c CONF -s STATSPORT -a 127.0.0.1 -p PIDFILE -o LOG`
// with the proxy and its stats on free loopback ports, waiting (at most
// 5 s) until the proxy accepts connections.  The destructor kills it by
// pid.  nutcracker is the reference for where each key lives when a table
// is spread over several servers.
#ifndef MCTABLE_TESTUTIL_NUTCRACKER_SERVER_H_
#define MCTABLE_TESTUTIL_NUTCRACKER_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable::testutil {

class NutcrackerServer {
 public:
  struct Options {
    std::string distribution = "ketama";
    std::string hash = "md5";
    std::string hash_tag;                // "" for none
    std::vector<std::string> servers;    // "host:port:weight [name]" or "/path:weight [name]"
    bool auto_eject_hosts = false;
    int server_failure_limit = 2;
    int server_retry_timeout_ms = 30000;
    int timeout_ms = 2000;
  };

  NutcrackerServer() = default;
  ~NutcrackerServer();
  NutcrackerServer(const NutcrackerServer&) = delete;
  NutcrackerServer& operator=(const NutcrackerServer&) = delete;

  // Path of the nutcracker binary, or "" if it is not installed.
  static std::string Binary();

  // False with a reason in error() if nutcracker cannot be run.
  bool Start(const Options& options);
  void Stop();
  const std::string& error() const { return error_; }
  // "inet:127.0.0.1:PORT": the proxy, as a memcache parameter value.
  std::string endpoint() const { return "inet:127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // The configuration it runs with (for messages).
  const std::string& config_text() const { return config_text_; }

 private:
  std::unique_ptr<TempDir> dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string config_text_;
  std::string error_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_NUTCRACKER_SERVER_H_
