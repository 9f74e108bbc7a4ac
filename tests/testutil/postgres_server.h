// PostgresServer: a real PostgreSQL (Debian's postgresql 15) for a test,
// started as the postgres account (PostgreSQL refuses root) from a
// freshly initialised data directory (initdb once per machine, cached,
// copied per server), on a free loopback port with its UNIX socket in the
// test's own directory; stopped by pid.  Start-up is bounded (10 s).
//
// SharedPostgres() is the one server of a test process: started on first
// use, stopped at exit, so a test binary starts it once however many
// tests use it.  Tests that stop or restart a server make their own.
#ifndef MCTABLE_TESTUTIL_POSTGRES_SERVER_H_
#define MCTABLE_TESTUTIL_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "testutil/testutil.h"

namespace mctable::testutil {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts it (again, with the same data and port, after Stop); false
  // with error() set if PostgreSQL is not installed or does not start.
  bool Start();
  // Immediate shutdown (SIGQUIT, then SIGKILL), by pid.
  void Stop();
  bool running() const;
  // Stops (SIGSTOP) or resumes (SIGCONT) every process of the server: a
  // real server that stalls, with its connections open.
  void Freeze(bool frozen);
  const std::string& error() const { return error_; }

  int port() const { return port_; }
  const std::string& socket_dir() const { return socket_dir_; }
  // The "hosts" value for a pgsql: table: "inet:127.0.0.1:PORT".
  std::string hosts() const { return "inet:127.0.0.1:" + std::to_string(port_); }

  // Runs SQL statements as the superuser in database "postgres" (psql,
  // stopping at the first error).  False with *error on failure.
  bool Sql(const std::string& sql, std::string* error = nullptr) const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::string data_dir_, socket_dir_, log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// The test process's PostgreSQL server; null with *why when it cannot run.
PostgresServer* SharedPostgres(std::string* why);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_POSTGRES_SERVER_H_
