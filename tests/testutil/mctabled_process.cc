#include "testutil/mctabled_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace mctable::testutil {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "unix:PATH" or "inet:127.0.0.1:PORT".
int Connect(const std::string& endpoint) {
  if (endpoint.rfind("unix:", 0) == 0) return ConnectLoopback(0, endpoint.substr(5));
  return ConnectLoopback(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)), "");
}

}  // namespace

std::string MctabledBinary() { return MCTABLED_BINARY; }

MctabledProcess::~MctabledProcess() {
  if (pid_ > 0) Stop(5);
}

bool MctabledProcess::Start(const std::vector<std::string>& args, const std::string& ready_endpoint) {
  std::string log_path = dir_.path() + "/stderr";
  std::vector<std::string> argv = {MctabledBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    ::execv(c_argv[0], c_argv.data());
    ::_exit(127);
  }
  double deadline = Now() + 10;
  while (Now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "mctabled exited at start: " + log();
      return false;
    }
    int fd = Connect(ready_endpoint);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "mctabled did not accept on " + ready_endpoint + " within 10 s: " + log();
  Stop(2);
  return false;
}

int MctabledProcess::Stop(double seconds) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  double deadline = Now() + seconds;
  int status = 0;
  while (Now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

void MctabledProcess::Signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

std::string MctabledProcess::log() const {
  std::string path = dir_.path() + "/stderr";
  if (::access(path.c_str(), R_OK) != 0) return "";
  return ReadFileOrDie(path);
}

LineClient::LineClient(const std::string& endpoint) : fd_(Connect(endpoint)) {}

LineClient::~LineClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineClient::Send(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool LineClient::Fill(double deadline) {
  if (eof_) return false;
  double left = deadline - Now();
  if (left <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::string LineClient::ReadBytes(size_t bytes, double timeout_seconds) {
  double deadline = Now() + timeout_seconds;
  while (buffer_.size() < bytes && Fill(deadline)) {
  }
  std::string out = buffer_.substr(0, bytes);
  buffer_.erase(0, out.size());
  return out;
}

std::string LineClient::ReadNetstring(double timeout_seconds) {
  double deadline = Now() + timeout_seconds;
  for (;;) {
    size_t colon = buffer_.find(':');
    if (colon != std::string::npos) {
      size_t length = std::stoul(buffer_.substr(0, colon));
      if (buffer_.size() >= colon + 1 + length + 1) {
        std::string payload = buffer_.substr(colon + 1, length);
        buffer_.erase(0, colon + 1 + length + 1);
        return payload;
      }
    }
    if (!Fill(deadline)) return eof_ ? "<eof>" : "<timeout>";
  }
}

std::string LineClient::ReadLine(double timeout_seconds) {
  double deadline = Now() + timeout_seconds;
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (!Fill(deadline)) return eof_ ? "<eof>" : "<timeout>";
  }
}

bool LineClient::WaitClosed(double timeout_seconds) {
  double deadline = Now() + timeout_seconds;
  while (Fill(deadline)) buffer_.clear();
  return eof_;
}

std::string SocketmapRequest(const std::string& map, const std::string& key) {
  std::string payload = map + " " + key;
  return std::to_string(payload.size()) + ":" + payload + ",";
}

}  // namespace mctable::testutil
