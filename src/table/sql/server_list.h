// ServerList: the database servers of a pgsql: or mysql: table ("hosts")
// and Postfix's rules for choosing among them:
// - a server with an open connection is used first: UNIX-domain ones
//   before TCP ones before connection URIs, at random among equals;
// - otherwise a server not tried yet, or whose retry time has come, is
//   connected to, in the same order;
// - a server whose connect or query fails is left alone for
//   retry_interval seconds (Postfix: 60), then tried again;
// - a connection idle for idle_interval seconds is closed before its next
//   use (Postfix closes it from a timer) and the choice is made again.
// It holds states only; the caller owns the connections, indexed like the
// servers.  Not thread-safe (a Table is used by one thread at a time).
#ifndef MCTABLE_TABLE_SQL_SERVER_LIST_H_
#define MCTABLE_TABLE_SQL_SERVER_LIST_H_

#include <cstddef>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mctable {

struct ServerAddress {
  enum class Kind { kUnix, kInet, kUri };
  std::string text;  // as configured ("inet:db1:5432"), for messages
  Kind kind = Kind::kInet;
  std::string host;  // host name, or socket path/directory; empty: the library's default
  std::string port;  // empty: the library's default
};

// Splits a "hosts" value at commas and whitespace, as Postfix does; an
// empty list is "localhost".
std::vector<std::string> SplitHostList(std::string_view hosts);

class ServerList {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  ServerList(std::vector<ServerAddress> servers, int retry_interval_seconds, int idle_interval_seconds);

  size_t size() const { return servers_.size(); }
  const ServerAddress& address(size_t i) const { return servers_[i].address; }

  // A connected server whose connection has not been idle too long, or
  // kNone.  Servers idle too long are returned in *to_close (their
  // connections are to be closed; they count as not tried again).
  size_t PickConnected(std::time_t now, std::vector<size_t>* to_close);
  // A server to connect to now, or kNone when every one is connected or
  // waiting for its retry time.
  size_t PickToConnect(std::time_t now);

  void Connected(size_t i, std::time_t now);
  void Used(size_t i, std::time_t now) { servers_[i].last_used = now; }
  // The connect or query failed: retry after retry_interval.
  void Failed(size_t i, std::time_t now);
  // The connection was closed without a failure (idle).
  void Closed(size_t i);

  // Seconds until the next failed server may be tried (0 if one may now).
  long SecondsUntilRetry(std::time_t now) const;
  int retry_interval() const { return retry_interval_; }

 private:
  enum class State { kUntried, kActive, kFailed };
  struct Server {
    ServerAddress address;
    State state = State::kUntried;
    std::time_t retry_at = 0;
    std::time_t last_used = 0;
  };
  // Postfix's choice: among the servers in `states` (and of `kind`), one
  // at random; kNone if none.
  size_t PickRandom(bool active, ServerAddress::Kind kind, std::time_t now);
  bool Eligible(const Server& server, bool active, std::time_t now) const;

  std::vector<Server> servers_;
  int retry_interval_;
  int idle_interval_;
  std::minstd_rand random_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_SERVER_LIST_H_
