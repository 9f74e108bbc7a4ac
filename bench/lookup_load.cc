// lookup_load: N concurrent Postfix-like clients against mctabled, each
// sending one request at a time and waiting for its reply, for
// bench/run_daemon_bench.sh and bench/run_memcache_front_bench.sh.  One
// thread drives all connections with epoll (the daemon, not the load
// generator, is what is measured).
//
//   lookup_load --socketmap unix:PATH|inet:PORT --map NAME | --tcp PORT
//               | --memcache unix:PATH|inet:PORT [--set-every N]
//               --clients 100 --requests N --keys FILE
//
// --memcache speaks memcached's text protocol as Postfix's memcache client
// does ("get KEY", "set KEY 0 TTL LEN"); with --set-every N, every N-th
// request of a client is a set of the key's value from FILE (10: a 90/10
// get/set mix), and the other requests are gets checked against FILE.
//
// FILE has "key<TAB>value" lines; an empty value means the key must not be
// found.  Client c's i-th request asks key (c * N + i) mod K.  Every reply
// is checked against FILE.  Prints one line:
//   lookups=N seconds=S lookups_per_s=R p50_us=N p99_us=N max_us=N wrong=N
// Exit 0 if every reply was right, 1 if not, 2 on setup failure.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "lookup_load: %s\n", what.c_str());
  std::exit(2);
}

int Connect(const std::string& endpoint) {
  int fd;
  if (endpoint.rfind("unix:", 0) == 0) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::string path = endpoint.substr(5);
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) Die("connect " + endpoint);
  } else {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str())));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) Die("connect " + endpoint);
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return fd;
}

std::string TcpEncode(const std::string& raw) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Client {
  int fd = -1;
  size_t sent = 0;  // requests sent so far
  std::string in;
  Clock::time_point asked;
  size_t key_index = 0;
  bool setting = false;  // --memcache: the request in flight is a set
};

}  // namespace

int main(int argc, char** argv) {
  std::string socketmap, map, tcp, memcache, keys_file;
  size_t clients = 100, requests = 1000, set_every = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--socketmap") socketmap = v;
    else if (a == "--map") map = v;
    else if (a == "--tcp") tcp = v;
    else if (a == "--memcache") memcache = v;
    else if (a == "--set-every") set_every = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--clients") clients = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--requests") requests = std::strtoul(v.c_str(), nullptr, 10);
    else if (a == "--keys") keys_file = v;
    else Die("unknown argument " + a);
  }
  if ((!socketmap.empty()) + (!tcp.empty()) + (!memcache.empty()) != 1 || keys_file.empty() ||
      clients == 0)
    Die("bad arguments");
  std::vector<std::string> keys, values;
  std::ifstream in(keys_file);
  for (std::string line; std::getline(in, line);) {
    size_t tab = line.find('\t');
    keys.push_back(line.substr(0, tab));
    values.push_back(tab == std::string::npos ? "" : line.substr(tab + 1));
  }
  if (keys.empty()) Die("no keys in " + keys_file);

  int ep = ::epoll_create1(0);
  std::vector<Client> all(clients);
  for (size_t c = 0; c < clients; ++c) {
    all[c].fd = Connect(!socketmap.empty() ? socketmap : !memcache.empty() ? memcache : "inet:" + tcp);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, all[c].fd, &ev);
  }
  auto send_next = [&](size_t c) {
    Client& cl = all[c];
    cl.key_index = (c * requests + cl.sent) % keys.size();
    std::string req;
    cl.setting = set_every > 0 && cl.sent % set_every == set_every - 1;
    if (!memcache.empty()) {
      const std::string& key = keys[cl.key_index];
      // A key that must stay a miss is never set.
      if (cl.setting && values[cl.key_index].empty()) cl.setting = false;
      if (cl.setting)
        req = "set " + key + " 0 3600 " + std::to_string(values[cl.key_index].size()) + "\r\n" +
              values[cl.key_index] + "\r\n";
      else
        req = "get " + key + "\r\n";
    } else if (!socketmap.empty()) {
      std::string payload = map + " " + keys[cl.key_index];
      req = std::to_string(payload.size()) + ":" + payload + ",";
    } else {
      req = "get " + TcpEncode(keys[cl.key_index]) + "\n";
    }
    cl.asked = Clock::now();
    ++cl.sent;
    if (::send(cl.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
      Die("send");
  };
  std::vector<uint64_t> latencies;
  latencies.reserve(clients * requests);
  size_t wrong = 0, done_clients = 0;
  Clock::time_point start = Clock::now();
  for (size_t c = 0; c < clients; ++c) send_next(c);
  epoll_event events[256];
  char buffer[65536];
  while (done_clients < clients) {
    int n = ::epoll_wait(ep, events, 256, 10000);
    if (n <= 0) Die("no reply for 10 s");
    for (int i = 0; i < n; ++i) {
      size_t c = events[i].data.u64;
      Client& cl = all[c];
      ssize_t got = ::recv(cl.fd, buffer, sizeof buffer, 0);
      if (got <= 0) Die("connection closed by the server");
      cl.in.append(buffer, static_cast<size_t>(got));
      // One reply is complete?
      std::string reply;
      if (!memcache.empty()) {
        const std::string& want = values[cl.key_index];
        if (cl.setting) {
          size_t nl = cl.in.find('\n');
          if (nl == std::string::npos) continue;
          if (cl.in.compare(0, nl + 1, "STORED\r\n") != 0 && wrong++ == 0)
            std::fprintf(stderr, "lookup_load: first wrong reply to a set of %s: %s\n",
                         keys[cl.key_index].c_str(), cl.in.substr(0, nl).c_str());
          cl.in.erase(0, nl + 1);
        } else {
          // "END" alone, or one VALUE block then "END".
          size_t end = cl.in.find("END\r\n");
          if (end == std::string::npos) continue;
          std::string expected = want.empty() ? "" :
              "VALUE " + keys[cl.key_index] + " 0 " + std::to_string(want.size()) + "\r\n" + want + "\r\n";
          if (cl.in.compare(0, end, expected) != 0 && wrong++ == 0)
            std::fprintf(stderr, "lookup_load: first wrong reply for %s: %s\n", keys[cl.key_index].c_str(),
                         cl.in.substr(0, end + 5).c_str());
          cl.in.erase(0, end + 5);
        }
      } else if (!socketmap.empty()) {
        size_t colon = cl.in.find(':');
        if (colon == std::string::npos) continue;
        size_t len = std::strtoul(cl.in.c_str(), nullptr, 10);
        if (cl.in.size() < colon + len + 2) continue;
        reply = cl.in.substr(colon + 1, len);
        cl.in.erase(0, colon + len + 2);
        const std::string& want = values[cl.key_index];
        if (want.empty() ? reply != "NOTFOUND " : reply != "OK " + want) ++wrong;
      } else {
        size_t nl = cl.in.find('\n');
        if (nl == std::string::npos) continue;
        reply = cl.in.substr(0, nl);
        cl.in.erase(0, nl + 1);
        const std::string& want = values[cl.key_index];
        if (want.empty() ? reply.rfind("500 ", 0) != 0 : reply != "200 " + TcpEncode(want)) ++wrong;
      }
      latencies.push_back(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - cl.asked).count()));
      if (cl.sent < requests)
        send_next(c);
      else
        ++done_clients;
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double f) {
    size_t idx = static_cast<size_t>(f * static_cast<double>(latencies.size() - 1));
    return latencies[idx];
  };
  std::printf("lookups=%zu seconds=%.3f lookups_per_s=%.0f p50_us=%llu p99_us=%llu max_us=%llu wrong=%zu\n",
              latencies.size(), seconds, static_cast<double>(latencies.size()) / seconds,
              static_cast<unsigned long long>(pct(0.50)), static_cast<unsigned long long>(pct(0.99)),
              static_cast<unsigned long long>(latencies.back()), wrong);
  return wrong == 0 ? 0 : 1;
}
