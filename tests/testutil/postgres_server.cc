#include "testutil/postgres_server.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testutil/server_process.h"

namespace mctable::testutil {
namespace {

const char kBinDir[] = "/usr/lib/postgresql/15/bin";

bool BuildDataTemplate(const std::string& dir, const RunAs& postgres, std::string* error) {
  if (postgres.active && ::chown(dir.c_str(), postgres.uid, postgres.gid) != 0) {
    *error = "chown " + dir + " failed";
    return false;
  }
  // Local (socket) connections are trusted: the tests administer the
  // server with psql that way.  TCP connections need a password, so that
  // a wrong one is refused as in production.
  std::string password_file = dir + "/superuser.pw";
  { std::ofstream(password_file) << "postgres-test-password\n"; }
  if (postgres.active && ::chown(password_file.c_str(), postgres.uid, postgres.gid) != 0) {
    *error = "chown " + password_file + " failed";
    return false;
  }
  std::string log = dir + "/initdb.log";
  int rc = RunAsAccount({std::string(kBinDir) + "/initdb", "-D", dir + "/data", "--auth-local=trust",
                         "--auth-host=scram-sha-256", "--pwfile=" + password_file, "-U", "postgres",
                         "--no-sync", "-E", "UTF8", "--locale=C"},
                        log, postgres, 120);
  if (rc != 0) {
    *error = "initdb failed: " + ReadLogTail(log);
    return false;
  }
  return true;
}

}  // namespace

PostgresServer::PostgresServer() = default;

PostgresServer::~PostgresServer() { Stop(); }

bool PostgresServer::running() const { return ProcessAlive(pid_); }

void PostgresServer::Freeze(bool frozen) {
  // Each backend leads a session of its own, so the postmaster's children
  // are signalled one by one.
  if (pid_ <= 0) return;
  for (pid_t child : ChildProcesses(pid_)) ::kill(child, frozen ? SIGSTOP : SIGCONT);
  ::kill(pid_, frozen ? SIGSTOP : SIGCONT);
}

bool PostgresServer::Start() {
  if (running()) return true;
  if (::access((std::string(kBinDir) + "/postgres").c_str(), X_OK) != 0) {
    error_ = std::string("PostgreSQL 15 is not installed (") + kBinDir + "/postgres; apt-get install postgresql)";
    return false;
  }
  RunAs postgres = LookupAccount("postgres");
  if (::geteuid() == 0 && !postgres.active) {
    error_ = "no postgres account to run PostgreSQL as";
    return false;
  }
  if (::geteuid() != 0) postgres.active = false;  // already unprivileged: run as ourselves
  if (dir_ == nullptr) {
    std::string template_dir = CachedTemplate(
        "pgsql15", [&](const std::string& dir, std::string* why) { return BuildDataTemplate(dir, postgres, why); },
        &error_);
    if (template_dir.empty()) return false;
    dir_ = std::make_unique<TempDir>();
    ::chmod(dir_->path().c_str(), 0755);
    data_dir_ = dir_->path() + "/data";
    socket_dir_ = dir_->path() + "/sock";
    log_path_ = dir_->path() + "/postgres.log";
    if (!CopyTree(template_dir + "/data", data_dir_, &error_)) return false;
    std::filesystem::create_directory(socket_dir_);
    if (postgres.active) {
      if (::chown(socket_dir_.c_str(), postgres.uid, postgres.gid) != 0 ||
          ::chown(dir_->path().c_str(), postgres.uid, postgres.gid) != 0) {
        error_ = "chown " + socket_dir_ + " failed";
        return false;
      }
    }
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = FreeLoopbackPort();
    pid_ = SpawnServer({std::string(kBinDir) + "/postgres", "-D", data_dir_, "-p", std::to_string(port_),
                        "-k", socket_dir_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                        "-c", "full_page_writes=off",
                        "-c", "max_connections=40", "-c", "shared_buffers=16MB"},
                       log_path_, postgres);
    if (pid_ < 0) {
      error_ = "fork failed";
      return false;
    }
    std::string socket = socket_dir_ + "/.s.PGSQL." + std::to_string(port_);
    auto ready = [&] {
      // The socket appears before the server accepts queries; psql says
      // when it does.
      return ::access(socket.c_str(), F_OK) == 0 && Sql("SELECT 1");
    };
    if (WaitUntilReady(pid_, ready, 10)) return true;
    Stop();
  }
  error_ = "PostgreSQL did not start: " + ReadLogTail(log_path_);
  return false;
}

void PostgresServer::Stop() {
  if (pid_ <= 0) return;
  Freeze(false);
  StopProcess(pid_, SIGQUIT, 5);  // "immediate shutdown": nothing to keep
  pid_ = -1;
}

bool PostgresServer::Sql(const std::string& sql, std::string* error) const {
  CommandResult r = RunCommand({"/usr/bin/psql", "-X", "-q", "-h", socket_dir_, "-p", std::to_string(port_),
                                "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql},
                               "", 120);
  if (r.exit_status == 0) return true;
  if (error) *error = r.err;
  return false;
}

PostgresServer* SharedPostgres(std::string* why) { return SharedServer<PostgresServer>(why, "Postgres", "pgsql"); }

}  // namespace mctable::testutil
