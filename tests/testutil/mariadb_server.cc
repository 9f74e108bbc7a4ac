#include "testutil/mariadb_server.h"

#include <signal.h>
#include <unistd.h>

#include "testutil/server_process.h"

namespace mctable::testutil {
namespace {

const char kServer[] = "/usr/sbin/mariadbd";
const char kInstallDb[] = "/usr/bin/mariadb-install-db";
const char kClient[] = "/usr/bin/mariadb";

// Small InnoDB files: the same values for the install and every start.
std::vector<std::string> InnodbOptions() {
  return {"--innodb-log-file-size=4M", "--innodb-data-file-path=ibdata1:4M:autoextend",
          "--innodb-buffer-pool-size=16M"};
}

std::string AccountOption() { return ::geteuid() == 0 ? "--user=root" : ""; }

bool BuildDataTemplate(const std::string& dir, std::string* error) {
  std::vector<std::string> argv = {kInstallDb, "--no-defaults", "--datadir=" + dir + "/data",
                                   "--auth-root-authentication-method=normal", "--skip-test-db"};
  if (!AccountOption().empty()) argv.push_back(AccountOption());
  std::vector<std::string> innodb = InnodbOptions();
  argv.insert(argv.end(), innodb.begin(), innodb.end());
  std::string log = dir + "/install.log";
  if (RunAsAccount(argv, log, RunAs(), 180) != 0) {
    *error = "mariadb-install-db failed: " + ReadLogTail(log);
    return false;
  }
  return true;
}

}  // namespace

MariadbServer::MariadbServer() = default;

MariadbServer::~MariadbServer() { Stop(); }

bool MariadbServer::running() const { return ProcessAlive(pid_); }

void MariadbServer::Freeze(bool frozen) {
  // The server leads its own process group (SpawnServer).
  if (pid_ > 0) ::kill(-pid_, frozen ? SIGSTOP : SIGCONT);
}

bool MariadbServer::Start() {
  if (running()) return true;
  if (::access(kServer, X_OK) != 0 || ::access(kInstallDb, X_OK) != 0 || ::access(kClient, X_OK) != 0) {
    error_ = "MariaDB is not installed (apt-get install mariadb-server)";
    return false;
  }
  if (dir_ == nullptr) {
    std::string template_dir = CachedTemplate("mariadb", BuildDataTemplate, &error_);
    if (template_dir.empty()) return false;
    dir_ = std::make_unique<TempDir>();
    data_dir_ = dir_->path() + "/data";
    socket_path_ = dir_->path() + "/mysqld.sock";
    log_path_ = dir_->path() + "/mariadbd.log";
    if (!CopyTree(template_dir + "/data", data_dir_, &error_)) return false;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = FreeLoopbackPort();
    std::vector<std::string> argv = {kServer, "--no-defaults", "--datadir=" + data_dir_,
                                     "--socket=" + socket_path_, "--port=" + std::to_string(port_),
                                     "--bind-address=127.0.0.1", "--pid-file=" + dir_->path() + "/mariadbd.pid",
                                     "--skip-log-bin", "--skip-name-resolve", "--max-connections=60"};
    if (!AccountOption().empty()) argv.push_back(AccountOption());
    std::vector<std::string> innodb = InnodbOptions();
    argv.insert(argv.end(), innodb.begin(), innodb.end());
    pid_ = SpawnServer(argv, log_path_, RunAs());
    if (pid_ < 0) {
      error_ = "fork failed";
      return false;
    }
    auto ready = [&] { return ::access(socket_path_.c_str(), F_OK) == 0 && Sql("SELECT 1"); };
    if (WaitUntilReady(pid_, ready, 15)) return true;
    Stop();
  }
  error_ = "MariaDB did not start: " + ReadLogTail(log_path_);
  return false;
}

void MariadbServer::Stop() {
  if (pid_ <= 0) return;
  Freeze(false);
  StopProcess(pid_, SIGKILL, 5);
  pid_ = -1;
}

bool MariadbServer::Sql(const std::string& sql, std::string* error) const {
  CommandResult r = RunCommand({kClient, "--no-defaults", "--socket=" + socket_path_, "--user=root",
                                "--batch", "-e", sql},
                               "", 120);
  if (r.exit_status == 0) return true;
  if (error) *error = r.err;
  return false;
}

MariadbServer* SharedMariadb(std::string* why) { return SharedServer<MariadbServer>(why, "Mariadb", "mysql"); }

}  // namespace mctable::testutil
