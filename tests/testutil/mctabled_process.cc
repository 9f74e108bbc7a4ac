#include "testutil/mctabled_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
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
  if (running()) Stop(5);
}

bool MctabledProcess::Start(const std::vector<std::string>& args, const std::string& ready_endpoint) {
  std::vector<std::string> argv = {MctabledBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess::Options options;
  options.stdout_to = Subprocess::Output::kInherit;
  if (!process_.Start(argv, options)) {
    error_ = process_.error();
    return false;
  }
  double deadline = Now() + 10;
  while (Now() < deadline) {
    if (process_.Finished()) {
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
  if (!running()) return -1;
  return process_.Stop(SIGTERM, seconds);
}

void MctabledProcess::Signal(int signo) const { process_.Signal(signo); }

bool MctabledProcess::running() { return process_.pid() > 0 && !process_.Finished(); }

std::string MctabledProcess::log() const { return process_.CapturedErr(); }

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
