#include "testutil/nutcracker_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace mctable::testutil {
namespace {

bool Accepts(int port) {
  int fd = ConnectLoopback(port, "");
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

}  // namespace

NutcrackerServer::~NutcrackerServer() { Stop(); }

std::string NutcrackerServer::Binary() {
  for (const char* path : {"/usr/sbin/nutcracker", "/usr/bin/nutcracker", "/usr/local/sbin/nutcracker"})
    if (::access(path, X_OK) == 0) return path;
  return "";
}

bool NutcrackerServer::Start(const Options& options) {
  std::string binary = Binary();
  if (binary.empty()) {
    error_ = "nutcracker is not installed (apt-get install nutcracker)";
    return false;
  }
  if (!dir_) dir_ = std::make_unique<TempDir>();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreeLoopbackPort();
    int stats_port = FreeLoopbackPort();
    std::string conf = "pool:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                       "\n  distribution: " + options.distribution + "\n  hash: " + options.hash +
                       "\n  timeout: " + std::to_string(options.timeout_ms) +
                       "\n  auto_eject_hosts: " + (options.auto_eject_hosts ? "true" : "false") +
                       "\n  server_failure_limit: " + std::to_string(options.server_failure_limit) +
                       "\n  server_retry_timeout: " + std::to_string(options.server_retry_timeout_ms) +
                       "\n";
    if (!options.hash_tag.empty()) conf += "  hash_tag: \"" + options.hash_tag + "\"\n";
    conf += "  servers:\n";
    for (const std::string& s : options.servers) conf += "    - " + s + "\n";
    config_text_ = conf;
    std::string conf_path = dir_->WriteFile("nutcracker.yml", conf);
    std::vector<std::string> args = {binary, "-c", conf_path, "-s", std::to_string(stats_port),
                                     "-a", "127.0.0.1", "-p", dir_->path() + "/nutcracker.pid",
                                     "-o", dir_->path() + "/nutcracker.log"};
    pid_t pid = StartServerProcess(args, /*keep_stderr=*/false);
    if (pid < 0) {
      error_ = "fork failed";
      return false;
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // died: a port was taken, or the configuration is bad
      }
      if (Accepts(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Stop();
  }
  std::string log;
  try {
    log = ReadFileOrDie(dir_->path() + "/nutcracker.log");
  } catch (...) {
  }
  error_ = "nutcracker did not start; configuration:\n" + config_text_ + "log:\n" +
           (log.size() > 2000 ? log.substr(log.size() - 2000) : log);
  return false;
}

void NutcrackerServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace mctable::testutil
