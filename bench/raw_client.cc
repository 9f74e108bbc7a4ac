// raw_client: a minimal memcached text-protocol client, written only as the
// yardstick for bench/run_bench.sh.  It uses nothing from the mctable
// library: its own blocking socket code and its own reply parsing, and no
// retries, timeouts or limits beyond what a benchmark needs.
//
//   raw_client --server HOST:PORT|unix:/PATH --mode get|set|delete
//              [--per-get N] [--per-chunk N] [--ttl T] [--flags F] [--no-fold] [--stats]
//
// Input on stdin, read the way mctable reads it:
//   get, delete: one key per line (newline removed; a last line without one
//                counts), as `mctable -q -` / `mctable -d -`.
//   set:         postmap source lines "key whitespace value", as `mctable -i`
//                (blank lines and '#' comments skipped; no continuation lines,
//                quoting or backslashes: the benchmark data has none).
// Keys are lower-cased (unless --no-fold) and skipped when memcached cannot
// take them (empty, > 250 bytes, whitespace or control characters), as the
// memcache table does.
//
// get:    multi-key "get k1 ... kN" (N = --per-get, default 512), one command
//         in flight; prints "key<TAB>value" for every key found, in input
//         order, so the output compares byte for byte with `mctable -q -`.
//         Exit 0 if any key was found, else 1.
// set:    pipelined "set" commands, --per-chunk (default 256) per write,
//         then their replies.  Exit 0 if all were STORED, else 1.
// delete: pipelined "delete" commands, likewise.  Exit 0 if any was DELETED.
// --stats prints counts to stderr.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "raw_client: %s\n", what.c_str());
  std::exit(2);
}

// ---- socket -------------------------------------------------------------

int Connect(const std::string& server) {
  int fd = -1;
  if (server.rfind("unix:", 0) == 0) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::string path = server.substr(5);
    if (path.size() >= sizeof sun.sun_path) Die("socket path too long");
    std::memcpy(sun.sun_path, path.data(), path.size());
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0)
      Die("connect " + server + ": " + std::strerror(errno));
    return fd;
  }
  std::string s = server.rfind("inet:", 0) == 0 ? server.substr(5) : server;
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) Die("server must be HOST:PORT");
  std::string host = s.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) Die("bad IPv4 address " + host);
  fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0)
    Die("connect " + server + ": " + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Buffered reader over a descriptor (stdin or the socket).
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd), buf_(1 << 18) {}

  // Makes at least `n` unread bytes available; false at end of file.
  bool Want(size_t n) {
    while (end_ - start_ < n) {
      if (start_ > 0) {
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      if (n > buf_.size()) buf_.resize(n);
      ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) Die(std::string("read: ") + std::strerror(errno));
      if (r == 0) return false;
      end_ += static_cast<size_t>(r);
    }
    return true;
  }
  std::string_view Avail() const { return {buf_.data() + start_, end_ - start_}; }
  void Skip(size_t n) { start_ += n; }

  // Next line without its '\n'; false at end of input.  The view is valid
  // until the next call.
  bool Line(std::string_view* line) {
    size_t scanned = 0;
    for (;;) {
      std::string_view a = Avail();
      size_t nl = a.find('\n', scanned);
      if (nl != std::string_view::npos) {
        *line = a.substr(0, nl);
        start_ += nl + 1;
        return true;
      }
      scanned = a.size();
      if (!Want(a.size() + 1)) {
        if (a.empty()) return false;
        *line = a;
        start_ = end_;
        return true;
      }
    }
  }

 private:
  int fd_;
  std::vector<char> buf_;
  size_t start_ = 0, end_ = 0;
};

// A reply line ending in "\r\n", without it.
std::string_view ReplyLine(Reader* in) {
  size_t scanned = 0;
  for (;;) {
    std::string_view a = in->Avail();
    size_t nl = a.find("\r\n", scanned);
    if (nl != std::string_view::npos) {
      in->Skip(nl + 2);
      return a.substr(0, nl);
    }
    scanned = a.empty() ? 0 : a.size() - 1;
    if (!in->Want(a.size() + 1)) Die("server closed the connection");
  }
}

// ---- keys ---------------------------------------------------------------

bool fold = true;

// Wire key for `key` in *wire; false if memcached cannot take it.
bool WireKey(std::string_view key, std::string* wire) {
  if (key.empty() || key.size() > 250) return false;
  wire->assign(key);
  for (char& c : *wire) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) return false;
    if (fold && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return true;
}

class Output {
 public:
  ~Output() { Flush(); }
  void Append(std::string_view a) {
    buf_.append(a);
    if (buf_.size() >= (1 << 16)) Flush();
  }
  void Flush() {
    WriteAll(1, buf_);
    buf_.clear();
  }

 private:
  std::string buf_;
};

struct Options {
  std::string server;
  std::string mode;
  size_t per_get = 512;
  size_t per_chunk = 256;
  long ttl = 3600;
  unsigned long flags = 0;
  bool stats = false;
};

// ---- get ------------------------------------------------------------------

int RunGet(const Options& o, int fd) {
  Reader input(0), sock(fd);
  Output out;
  std::vector<std::string> keys(o.per_get), wire(o.per_get);
  std::string request;
  size_t found = 0, asked = 0;
  bool more = true;
  while (more) {
    size_t n = 0;
    std::string_view line;
    while (n < o.per_get && (more = input.Line(&line))) {
      if (!WireKey(line, &wire[n])) continue;
      keys[n].assign(line);
      ++n;
    }
    if (n == 0) break;
    asked += n;
    request.assign("get");
    for (size_t i = 0; i < n; ++i) {
      request.push_back(' ');
      request.append(wire[i]);
    }
    request.append("\r\n");
    WriteAll(fd, request);
    // Replies come in request order, misses left out.
    size_t next = 0;
    for (;;) {
      std::string_view l = ReplyLine(&sock);
      if (l == "END") break;
      if (l.rfind("VALUE ", 0) != 0) Die("unexpected reply: " + std::string(l.substr(0, 40)));
      std::string_view rest = l.substr(6);
      size_t sp1 = rest.find(' ');
      size_t sp2 = rest.find(' ', sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) Die("bad VALUE line");
      std::string_view key = rest.substr(0, sp1);
      size_t bytes = std::strtoul(std::string(rest.substr(sp2 + 1)).c_str(), nullptr, 10);
      while (next < n && wire[next] != key) ++next;
      if (next == n) Die("VALUE for a key not asked for");
      if (!sock.Want(bytes + 2)) Die("server closed the connection");
      std::string_view data = sock.Avail().substr(0, bytes);
      out.Append(keys[next]);
      out.Append("\t");
      out.Append(data);
      out.Append("\n");
      sock.Skip(bytes + 2);
      ++next;
      ++found;
    }
  }
  out.Flush();
  if (o.stats) std::fprintf(stderr, "raw_client get: %zu keys, %zu found\n", asked, found);
  return found > 0 ? 0 : 1;
}

// ---- set / delete -----------------------------------------------------------

// Reads the next usable input record into *wire (and *value for set).
bool NextRecord(Reader* input, bool is_set, std::string* wire, std::string* value) {
  std::string_view line;
  while (input->Line(&line)) {
    if (!is_set) {
      if (WireKey(line, wire)) return true;
      continue;
    }
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos || line[b] == '#') continue;
    if (b > 0) continue;  // continuation lines: not in benchmark data
    size_t k = line.find_first_of(" \t");
    if (k == std::string_view::npos) continue;
    size_t v = line.find_first_not_of(" \t", k);
    size_t e = line.find_last_not_of(" \t\r");
    if (v == std::string_view::npos) continue;
    if (!WireKey(line.substr(0, k), wire)) continue;
    value->assign(line.substr(v, e + 1 - v));
    return true;
  }
  return false;
}

int RunPipelined(const Options& o, int fd, bool is_set) {
  Reader input(0), sock(fd);
  std::string request, wire, value;
  size_t ok = 0, other = 0, total = 0;
  bool more = true;
  char head[64];
  while (more) {
    request.clear();
    size_t n = 0;
    while (n < o.per_chunk && (more = NextRecord(&input, is_set, &wire, &value))) {
      if (is_set) {
        request.append("set ");
        request.append(wire);
        int h = std::snprintf(head, sizeof head, " %lu %ld %zu\r\n", o.flags, o.ttl, value.size());
        request.append(head, static_cast<size_t>(h));
        request.append(value);
        request.append("\r\n");
      } else {
        request.append("delete ");
        request.append(wire);
        request.append("\r\n");
      }
      ++n;
    }
    if (n == 0) break;
    WriteAll(fd, request);
    for (size_t i = 0; i < n; ++i) {
      std::string_view l = ReplyLine(&sock);
      if (l == (is_set ? "STORED" : "DELETED"))
        ++ok;
      else if (!is_set && l == "NOT_FOUND")
        ++other;
      else
        Die("unexpected reply: " + std::string(l.substr(0, 40)));
    }
    total += n;
  }
  if (o.stats)
    std::fprintf(stderr, "raw_client %s: %zu commands, %zu %s, %zu not found\n", o.mode.c_str(),
                 total, ok, is_set ? "stored" : "deleted", other);
  if (is_set) return ok == total ? 0 : 1;
  return ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--server") o.server = value();
    else if (a == "--mode") o.mode = value();
    else if (a == "--per-get") o.per_get = std::strtoul(value().c_str(), nullptr, 10);
    else if (a == "--per-chunk") o.per_chunk = std::strtoul(value().c_str(), nullptr, 10);
    else if (a == "--ttl") o.ttl = std::strtol(value().c_str(), nullptr, 10);
    else if (a == "--flags") o.flags = std::strtoul(value().c_str(), nullptr, 10);
    else if (a == "--no-fold") fold = false;
    else if (a == "--stats") o.stats = true;
    else Die("unknown argument " + a);
  }
  if (o.server.empty() || o.per_get == 0 || o.per_chunk == 0) Die("usage: see raw_client.cc");
  int fd = Connect(o.server);
  int rc;
  if (o.mode == "get") rc = RunGet(o, fd);
  else if (o.mode == "set") rc = RunPipelined(o, fd, true);
  else if (o.mode == "delete") rc = RunPipelined(o, fd, false);
  else Die("--mode must be get, set or delete");
  ::close(fd);
  return rc;
}
