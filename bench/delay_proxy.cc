// delay_proxy: a loopback TCP proxy that holds every chunk of bytes for a
// fixed time before passing it on, in both directions: the network
// latency of a memcached on another machine, for bench/run_servers_bench.sh
// (netem on the loopback interface would slow down every process on the
// machine, and needs root).
//
//   delay_proxy --delay-us N LISTEN_PORT:TARGET_PORT [LISTEN_PORT:TARGET_PORT ...]
//
// Listens on 127.0.0.1:LISTEN_PORT and connects each client to
// 127.0.0.1:TARGET_PORT.  Bytes read at time t are written at t + N us
// (so a request and its reply see 2N us more round trip), in order; the
// bandwidth is not limited.  One thread, ppoll() with microsecond
// timeouts.  Runs until killed; exit status 2 on a setup error.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "delay_proxy: %s\n", what.c_str());
  std::exit(2);
}

struct Chunk {
  Clock::time_point due;
  std::string bytes;
  size_t written = 0;
};

// One direction of a proxied connection.
struct Flow {
  int from = -1, to = -1;
  std::deque<Chunk> queue;
  bool eof = false;      // `from` has closed; shut `to` down when the queue is empty
  bool shut = false;
};

struct Pair {
  Flow up, down;  // client -> server, server -> client
  bool dead = false;
};

int Listen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd, 64) != 0)
    Die("listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  return fd;
}

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void Tune(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
}

}  // namespace

int main(int argc, char** argv) {
  long delay_us = -1;
  std::vector<std::pair<int, int>> routes;  // listen port, target port
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--delay-us" && i + 1 < argc) {
      delay_us = std::atol(argv[++i]);
    } else if (a.find(':') != std::string::npos) {
      routes.push_back({std::atoi(a.c_str()), std::atoi(a.c_str() + a.find(':') + 1)});
    } else {
      Die("usage: delay_proxy --delay-us N LISTEN_PORT:TARGET_PORT ...");
    }
  }
  if (delay_us < 0 || routes.empty()) Die("usage: delay_proxy --delay-us N LISTEN_PORT:TARGET_PORT ...");
  ::signal(SIGPIPE, SIG_IGN);
  const auto delay = std::chrono::microseconds(delay_us);
  std::vector<int> listeners;
  for (auto& r : routes) listeners.push_back(Listen(r.first));
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<char> buffer(256 * 1024);
  std::vector<pollfd> fds;
  for (;;) {
    // Poll set: listeners, then per pair its two sockets.
    fds.clear();
    for (int l : listeners) fds.push_back({l, POLLIN, 0});
    Clock::time_point now = Clock::now(), wake = Clock::time_point::max();
    for (auto& p : pairs) {
      for (Flow* f : {&p->up, &p->down}) {
        short in = (!f->eof && f->queue.size() < 1024) ? POLLIN : 0;
        short out = 0;
        if (!f->queue.empty()) {
          if (f->queue.front().due <= now)
            out = POLLOUT;
          else
            wake = std::min(wake, f->queue.front().due);
        }
        fds.push_back({f->from, in, 0});
        fds.push_back({f->to, out, 0});
      }
    }
    timespec ts{1, 0};
    if (wake != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - now).count();
      if (left < 0) left = 0;
      ts.tv_sec = left / 1000000000;
      ts.tv_nsec = left % 1000000000;
    }
    if (::ppoll(fds.data(), fds.size(), &ts, nullptr) < 0 && errno != EINTR) Die("ppoll failed");
    now = Clock::now();
    for (size_t i = 0; i < listeners.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      int client = ::accept4(listeners[i], nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int server = ConnectTo(routes[i].second);
      if (server < 0) {
        ::close(client);
        continue;
      }
      Tune(client);
      Tune(server);
      auto p = std::make_unique<Pair>();
      p->up.from = p->down.to = client;
      p->up.to = p->down.from = server;
      pairs.push_back(std::move(p));
    }
    size_t k = listeners.size();
    for (size_t pi = 0; pi < pairs.size() && k < fds.size(); ++pi) {
      Pair& p = *pairs[pi];
      for (Flow* f : {&p.up, &p.down}) {
        const pollfd& in = fds[k++];
        const pollfd& out = fds[k++];
        if (in.revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = ::recv(f->from, buffer.data(), buffer.size(), 0);
          if (n > 0) {
            f->queue.push_back({now + delay, std::string(buffer.data(), static_cast<size_t>(n))});
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            f->eof = true;
          }
        }
        if (out.revents & (POLLOUT | POLLHUP | POLLERR)) {
          while (!f->queue.empty() && f->queue.front().due <= now) {
            Chunk& c = f->queue.front();
            ssize_t n = ::send(f->to, c.bytes.data() + c.written, c.bytes.size() - c.written, MSG_NOSIGNAL);
            if (n < 0) {
              if (errno != EAGAIN && errno != EINTR) p.dead = true;
              break;
            }
            c.written += static_cast<size_t>(n);
            if (c.written < c.bytes.size()) break;
            f->queue.pop_front();
          }
        }
        if (f->eof && f->queue.empty() && !f->shut) {
          ::shutdown(f->to, SHUT_WR);
          f->shut = true;
        }
      }
      if (p.up.shut && p.down.shut) p.dead = true;
    }
    for (size_t pi = 0; pi < pairs.size();) {
      if (pairs[pi]->dead) {
        ::close(pairs[pi]->up.from);
        ::close(pairs[pi]->up.to);
        pairs.erase(pairs.begin() + static_cast<long>(pi));
      } else {
        ++pi;
      }
    }
  }
}
