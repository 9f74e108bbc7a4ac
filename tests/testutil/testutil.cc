#include "testutil/testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mctable/table_registry.h"
#include "testutil/subprocess.h"

namespace mctable::testutil {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


std::string FindProgram(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return c;
  return "";
}

}  // namespace

int ConnectLoopback(int port, const std::string& socket_path, bool ipv6) {
  int fd;
  if (!socket_path.empty()) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, socket_path.c_str(), sizeof(sun.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  if (ipv6) {
    fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    sin6.sin6_addr = in6addr_loopback;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mctable-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& content) const {
  std::string full = path_ + "/" + name;
  {
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
  }
  // Postfix programs wait until a configuration file modified within the
  // last second is older (it might be half written): 1-2 s per postmap run
  // on a file just written.  A test's *.cf is whole once written.
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".cf") == 0) BackdateFile(full);
  return full;
}

std::string TempDir::WriteFile(const std::string& name, const std::string& content,
                               mode_t mode) const {
  std::string full = WriteFile(name, content);
  if (::chmod(full.c_str(), mode) != 0) throw std::runtime_error("chmod " + full + " failed");
  return full;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string DirectoryListing(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string listing;
  for (const std::string& name : names) listing += name + "\n";
  return listing;
}

bool HaveTableType(const std::string& type) {
  for (const std::string& t : RegisteredTableTypes())
    if (t == type) return true;
  return false;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t p = 0, n; (n = text.find('\n', p)) != std::string::npos; p = n + 1)
    lines.push_back(text.substr(p, n - p));
  return lines;
}

int CountOccurrences(const std::string& text, const std::string& what) {
  int count = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++count;
  return count;
}

int FreeLoopbackPort(bool ipv6) {
  if (ipv6) {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) == 0) {
      socklen_t len = sizeof(sin6);
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin6), &len);
      port = ntohs(sin6.sin6_port);
    }
    if (fd >= 0) ::close(fd);
    return port;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  socklen_t len = sizeof(sin);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  int port = ntohs(sin.sin_port);
  ::close(fd);
  return port;
}

bool HaveIpv6Loopback() { return FreeLoopbackPort(/*ipv6=*/true) != 0; }
pid_t StartServerProcess(const std::vector<std::string>& argv, bool keep_stderr) {
  Subprocess::Options options;
  options.stdout_to = Subprocess::Output::kNull;
  options.stderr_to = keep_stderr ? Subprocess::Output::kInherit : Subprocess::Output::kNull;
  options.die_with_test = true;
  Subprocess server;
  return server.Start(argv, options) ? server.Release() : -1;
}

MemcachedServer::MemcachedServer(Options options) : options_(std::move(options)) {}

MemcachedServer::~MemcachedServer() {
  Stop();
}

bool MemcachedServer::Start() {
  std::string binary = FindProgram({"/usr/bin/memcached", "/usr/local/bin/memcached"});
  if (binary.empty()) {
    error_ = "memcached is not installed (apt-get install memcached)";
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<std::string> args = {binary, "-U", "0", "-m", std::to_string(options_.memory_mb),
                                     "-c", "256"};
    if (options_.max_item_size_kb > 0) {
      args.push_back("-I");
      args.push_back(std::to_string(options_.max_item_size_kb) + "k");
    }
    if (::geteuid() == 0) {
      args.push_back("-u");
      args.push_back("root");
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    if (!options_.environment.empty()) {
      std::vector<std::string> env = {"/usr/bin/env"};
      env.insert(env.end(), options_.environment.begin(), options_.environment.end());
      args.insert(args.begin(), env.begin(), env.end());
    }
    if (options_.unix_socket) {
      std::string dir = options_.socket_dir;
      if (dir.empty()) {
        if (own_dir_ == nullptr) own_dir_ = std::make_unique<TempDir>();
        dir = own_dir_->path();
      }
      socket_path_ = dir + "/memcached." + std::to_string(attempt) + ".sock";
      args.push_back("-s");
      args.push_back(socket_path_);
      port_ = 0;
    } else {
      port_ = options_.port > 0 ? options_.port : FreeLoopbackPort(options_.ipv6);
      args.push_back("-l");
      args.push_back(options_.ipv6 ? "::1" : "127.0.0.1");
      args.push_back("-p");
      args.push_back(std::to_string(port_));
    }
    pid_t pid = StartServerProcess(args, /*keep_stderr=*/true);
    if (pid < 0) {
      error_ = "fork failed";
      return false;
    }
    pid_ = pid;
    double deadline = Now() + 5;
    while (Now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // died: port taken, try another
      }
      int fd = ConnectLoopback(port_, socket_path_, options_.ipv6);
      if (fd >= 0) {
        ::close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Stop();
  }
  error_ = "memcached did not start";
  return false;
}

bool MemcachedServer::Restart() {
  Stop();
  if (!options_.unix_socket) options_.port = port_;
  return Start();
}

namespace {

// Whether every thread of `pid` is stopped (state T in /proc/PID/task/*/stat).
bool AllThreadsStopped(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return true;  // gone: nothing runs
  for (const auto& task : tasks) {
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t paren = text.rfind(')');
    if (paren == std::string::npos || paren + 2 >= text.size()) continue;
    if (text[paren + 2] != 'T' && text[paren + 2] != 't') return false;
  }
  return true;
}

}  // namespace

void MemcachedServer::Signal(int signal_number) const {
  if (pid_ <= 0) return;
  ::kill(pid_, signal_number);
  if (signal_number != SIGSTOP) return;
  // A stop takes effect when the thread that takes the signal next runs;
  // on a loaded machine another worker thread can still answer meanwhile.
  for (int i = 0; i < 500 && !AllThreadsStopped(pid_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void MemcachedServer::Freeze(bool frozen) const {
  Signal(frozen ? SIGSTOP : SIGCONT);
}

void MemcachedServer::Stop() {
  if (pid_ <= 0) return;
  // SIGKILL, not SIGTERM: memcached's graceful stop takes about a second and
  // a test server has nothing to save.
  ::kill(pid_, SIGKILL);
  int status;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string MemcachedServer::endpoint() const {
  if (!socket_path_.empty()) return "unix:" + socket_path_;
  return (options_.ipv6 ? "inet:[::1]:" : "inet:127.0.0.1:") + std::to_string(port_);
}

std::string MemcachedServer::RawCommand(const std::string& command, const std::string& until) const {
  int fd = ConnectLoopback(port_, socket_path_, options_.ipv6);
  if (fd < 0) return "";
  size_t done = 0;
  while (done < command.size()) {
    ssize_t n = ::write(fd, command.data() + done, command.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  std::string reply;
  double deadline = Now() + 5;
  while (Now() < deadline) {
    if (reply.size() >= until.size() &&
        reply.compare(reply.size() - until.size(), until.size(), until) == 0)
      break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

std::string MemcachedServer::Get(const std::string& key, bool* found, unsigned* flags) const {
  std::string reply = RawCommand("get " + key + "\r\n", "END\r\n");
  *found = false;
  if (reply.rfind("VALUE ", 0) != 0) return "";
  size_t eol = reply.find("\r\n");
  std::istringstream header(reply.substr(6, eol - 6));
  std::string k;
  unsigned f = 0;
  size_t len = 0;
  header >> k >> f >> len;
  if (flags) *flags = f;
  *found = true;
  return reply.substr(eol + 2, len);
}

void MemcachedServer::Set(const std::string& key, const std::string& value, unsigned flags,
                          int ttl) const {
  RawCommand("set " + key + " " + std::to_string(flags) + " " + std::to_string(ttl) + " " +
                 std::to_string(value.size()) + "\r\n" + value + "\r\n",
             "\r\n");
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input,
                         double timeout_seconds) {
  Subprocess command;
  Subprocess::Options options;
  options.stdin_pipe = true;  // as a shell pipeline gives it, even when empty
  if (!command.Start(argv, options)) {
    CommandResult failed;
    failed.err = command.error();
    return failed;
  }
  double start = Now();
  if (!input.empty()) command.Write(input, timeout_seconds);
  return command.Wait(timeout_seconds - (Now() - start));
}

std::vector<CommandResult> RunCommands(const std::vector<CommandSpec>& commands, double timeout_seconds) {
  const double deadline = Now() + timeout_seconds;
  std::vector<std::unique_ptr<Subprocess>> running;
  std::vector<CommandResult> results(commands.size());
  Subprocess::Options options;
  options.stdin_pipe = true;
  for (size_t i = 0; i < commands.size(); ++i) {
    running.push_back(std::make_unique<Subprocess>());
    if (!running[i]->Start(commands[i].argv, options)) results[i].err = running[i]->error();
  }
  // Inputs are written one after another: each command reads its own
  // while the others run (its output goes to a file, so it never waits).
  for (size_t i = 0; i < commands.size(); ++i)
    if (running[i]->pid() > 0) {
      if (!commands[i].input.empty()) running[i]->Write(commands[i].input, deadline - Now());
      running[i]->CloseStdin();
    }
  for (size_t i = 0; i < commands.size(); ++i)
    if (running[i]->pid() > 0) results[i] = running[i]->Wait(deadline - Now());
  return results;
}

std::string MctableBinary() {
  if (const char* env = std::getenv("MCTABLE_BINARY")) return env;
#ifdef MCTABLE_BINARY
  return MCTABLE_BINARY;
#else
  return "mctable";
#endif
}

std::string LeakCheckOffSetting() {
  const char* options = std::getenv("ASAN_OPTIONS");
  if (options == nullptr) return "";
  return std::string("ASAN_OPTIONS=") + options + ":detect_leaks=0";
}

bool CatchesSignal(pid_t pid, int signal_number) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
    return (mask >> (signal_number - 1)) & 1;
  }
  return false;
}

void BackdateFile(const std::string& path) {
  struct timeval past[2];
  ::gettimeofday(&past[0], nullptr);
  past[0].tv_sec -= 60;
  past[1] = past[0];
  ::utimes(path.c_str(), past);
}

std::string PostmapBinary() {
  return FindProgram({"/usr/sbin/postmap", "/usr/bin/postmap"});
}

std::string OpensslBinary() {
  return FindProgram({"/usr/bin/openssl", "/usr/local/bin/openssl"});
}

}  // namespace mctable::testutil
