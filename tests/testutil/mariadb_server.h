// MariadbServer: a real MariaDB (Debian's mariadb-server) for a test, from
// a freshly initialised data directory (mariadb-install-db once per
// machine, cached, copied per server), with a private socket in the
// test's own directory and a free loopback port; stopped by pid.
// Start-up is bounded (15 s).
//
// SharedMariadb() is the one server of a test process: started on first
// use, stopped at exit.  Tests that stop or restart a server make their
// own.
#ifndef MCTABLE_TESTUTIL_MARIADB_SERVER_H_
#define MCTABLE_TESTUTIL_MARIADB_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "testutil/testutil.h"

namespace mctable::testutil {

class MariadbServer {
 public:
  MariadbServer();
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  // Starts it (again, same data and port, after Stop); false with error().
  bool Start();
  // SIGKILL by pid: the test data needs no clean shutdown.
  void Stop();
  bool running() const;
  // Stops (SIGSTOP) or resumes (SIGCONT) every process of the server: a
  // real server that stalls, with its connections open.
  void Freeze(bool frozen);
  const std::string& error() const { return error_; }

  int port() const { return port_; }
  const std::string& socket_path() const { return socket_path_; }
  // The "hosts" value for a mysql: table: "inet:127.0.0.1:PORT".
  std::string hosts() const { return "inet:127.0.0.1:" + std::to_string(port_); }

  // Runs SQL statements as root (mariadb client over the socket); false
  // with *error on failure.
  bool Sql(const std::string& sql, std::string* error = nullptr) const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::string data_dir_, socket_path_, log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// The test process's MariaDB server; null with *why when it cannot run.
MariadbServer* SharedMariadb(std::string* why);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_MARIADB_SERVER_H_
