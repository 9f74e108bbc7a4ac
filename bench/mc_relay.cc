// mc_relay: a counting relay between memcache clients and memcached, for
// bench/run_daemon_bench.sh.  memcached's own "cmd_get" counts keys, not
// commands, so it cannot tell 100 one-key gets from one 100-key get; this
// relay sits in front of memcached and counts the command lines that
// clients send.
//
//   mc_relay LISTEN_PORT UPSTREAM_PORT      (both on 127.0.0.1)
//
// Bytes are forwarded unchanged in both directions (one upstream
// connection per client connection).  Client-to-server command lines are
// parsed only to count: "get"/"gets" commands and their keys, storage
// commands (set, add, ...; their data blocks are skipped), and any other
// command.  It also times each get command from its arrival to the "END"
// line that closes memcached's reply (as seen on the wire here: the round
// trip a blocking client waits for, less its own processing).  On SIGTERM
// or SIGINT it prints one line and exits 0:
//   get_commands=N get_keys=N storage_commands=N other_commands=N connections=N
//   get_p50_us=N get_p99_us=N
// Single-threaded epoll; a benchmark tool, not hardened for hostile peers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

struct Counts {
  unsigned long long get_commands = 0, get_keys = 0, storage = 0, other = 0, connections = 0;
};
Counts counts;
std::vector<unsigned long long> get_latencies_us;
using Clock = std::chrono::steady_clock;

// Parses the client's command stream, only to count.
struct CommandCounter {
  std::deque<Clock::time_point>* gets = nullptr;  // arrival of each unanswered get
  std::string line;
  size_t skip = 0;  // data bytes (plus CRLF) of a storage command still to come

  void Feed(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (skip > 0) {
        size_t take = std::min(skip, n - i);
        skip -= take;
        i += take - 1;
        continue;
      }
      if (data[i] != '\n') {
        line += data[i];
        continue;
      }
      Count();
      line.clear();
    }
  }

  void Count() {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t tokens = 0, pos = 0;
    std::string first;
    std::string last;
    while (pos < line.size()) {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      size_t start = pos;
      while (pos < line.size() && line[pos] != ' ') ++pos;
      if (pos > start) {
        if (tokens == 0) first = line.substr(start, pos - start);
        last = line.substr(start, pos - start);
        ++tokens;
      }
    }
    if (tokens == 0) return;
    if (first == "get" || first == "gets") {
      ++counts.get_commands;
      counts.get_keys += tokens - 1;
      gets->push_back(Clock::now());
    } else if (first == "set" || first == "add" || first == "replace" || first == "append" ||
               first == "prepend" || first == "cas") {
      ++counts.storage;
      // "set key flags exptime bytes [noreply]" / "cas ... bytes cas [noreply]"
      std::string fields[8];
      size_t n = 0;
      pos = 0;
      while (pos < line.size() && n < 8) {
        while (pos < line.size() && line[pos] == ' ') ++pos;
        size_t start = pos;
        while (pos < line.size() && line[pos] != ' ') ++pos;
        if (pos > start) fields[n++] = line.substr(start, pos - start);
      }
      if (n >= 5) skip = std::strtoull(fields[4].c_str(), nullptr, 10) + 2;
    } else {
      ++counts.other;
    }
  }
};

struct Pair {
  int client = -1, upstream = -1;
  CommandCounter counter;
  std::deque<Clock::time_point> gets;
  std::string reply_tail;  // the last bytes from upstream, for "END\r\n" split across reads

  // Times the gets that this chunk of memcached's replies completes.
  void SawReply(const char* data, size_t n) {
    std::string text = reply_tail + std::string(data, n);
    size_t pos = 0;
    while ((pos = text.find("END\r\n", pos)) != std::string::npos) {
      pos += 5;
      if (gets.empty()) continue;
      get_latencies_us.push_back(static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - gets.front()).count()));
      gets.pop_front();
    }
    // Keep what could be the start of an "END\r\n" cut by this read.
    size_t keep = std::min<size_t>(4, text.size());
    reply_tail = text.substr(text.size() - keep);
    if (reply_tail.find("END\r\n") != std::string::npos) reply_tail.clear();
  }
};

bool SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int Listen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd, 1024) != 0) {
    std::perror("mc_relay: bind");
    std::exit(2);
  }
  return fd;
}

int ConnectUpstream(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mc_relay LISTEN_PORT UPSTREAM_PORT\n");
    return 2;
  }
  int upstream_port = std::atoi(argv[2]);
  int listener = Listen(std::atoi(argv[1]));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = ::signalfd(-1, &set, 0);
  int ep = ::epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = sfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  std::unordered_map<int, Pair*> by_fd;
  char buffer[65536];
  epoll_event events[256];
  for (;;) {
    int n = ::epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == sfd) {
        std::sort(get_latencies_us.begin(), get_latencies_us.end());
        auto pct = [](double f) {
          if (get_latencies_us.empty()) return 0ULL;
          return get_latencies_us[static_cast<size_t>(f * static_cast<double>(get_latencies_us.size() - 1))];
        };
        std::printf("get_commands=%llu get_keys=%llu storage_commands=%llu other_commands=%llu "
                    "connections=%llu get_p50_us=%llu get_p99_us=%llu\n",
                    counts.get_commands, counts.get_keys, counts.storage, counts.other,
                    counts.connections, pct(0.50), pct(0.99));
        std::fflush(stdout);
        return 0;
      }
      if (fd == listener) {
        int c = ::accept(listener, nullptr, nullptr);
        if (c < 0) continue;
        int u = ConnectUpstream(upstream_port);
        if (u < 0) {
          ::close(c);
          continue;
        }
        int on = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        auto* p = new Pair;
        p->counter.gets = &p->gets;
        p->client = c;
        p->upstream = u;
        by_fd[c] = by_fd[u] = p;
        ++counts.connections;
        ev.events = EPOLLIN;
        ev.data.fd = c;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        ev.data.fd = u;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
        continue;
      }
      auto it = by_fd.find(fd);
      if (it == by_fd.end()) continue;
      Pair* p = it->second;
      ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      int to = fd == p->client ? p->upstream : p->client;
      if (got > 0 && fd == p->client) p->counter.Feed(buffer, static_cast<size_t>(got));
      if (got > 0 && fd == p->upstream) p->SawReply(buffer, static_cast<size_t>(got));
      if (got <= 0 || !SendAll(to, buffer, static_cast<size_t>(got))) {
        by_fd.erase(p->client);
        by_fd.erase(p->upstream);
        ::close(p->client);
        ::close(p->upstream);
        delete p;
      }
    }
  }
}
