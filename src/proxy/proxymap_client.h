// ProxymapClient: the client side of one proxymap(8) service of a Postfix
// instance (proxymap for reading, proxywrite for updates), over its
// UNIX-domain socket QUEUE/private/SERVICE, in Postfix's attribute protocol
// (proxy/attr_codec.h).
//
// The exchange, as Postfix 3.7's dict_proxy client does it: on connect the
// server announces "protocol=proxymap_protocol"; then each request is one
// attribute list ("request", "table", "flags", ...) answered by one list
// that starts with "status".  The server serves one request at a time per
// connection (it does not read ahead), so there is no pipelining.
//
// Retries, Postfix's shape with bounds (Postfix waits forever):
// - Connecting: up to connect_tries attempts, retry_pause apart, each
//   failure but the last logged as Postfix logs it ("connect #1 to
//   subsystem PATH: Connection refused"); the last one is the error.
//   Postfix makes 11 attempts 10 seconds apart (about 102 s) and exits.
// - A request whose exchange fails (the server went away, a malformed or
//   unexpected reply, an unknown status code) is tried again on a new
//   connection, up to request_tries in all, retry_pause apart, with a
//   warning per failure, except a first failure on a reused connection
//   that the server closed, which is quiet and immediate (a proxymap
//   process exits after max_idle, max_use or when a table changes; that
//   is routine).  A reply that does
//   not come within ipc_timeout ends the request at once: a stalled server
//   would stall every retry too.
// - A connection idle for ipc_idle, older than ipc_ttl, or that the server
//   has closed is replaced before the next request (Postfix closes it from
//   a timer; a library without an event loop does it on next use).
// What it guarantees: a reply is only ever matched to its own request (a
// failed exchange closes the connection), replies are bounded in size
// (AttributeListParser::Limits), and every wait is bounded by ipc_timeout.
// Errors are TempErrors whose message is the reason without the table name
// (the caller adds it).
#ifndef MCTABLE_PROXY_PROXYMAP_CLIENT_H_
#define MCTABLE_PROXY_PROXYMAP_CLIENT_H_

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"
#include "memcache/connection.h"

namespace mctable {

// Reply status codes (Postfix's PROXY_STAT_*).
enum ProxyStatus : unsigned long {
  kProxyOk = 0,      // done
  kProxyNoKey = 1,   // no such key (lookup, delete, end of sequence)
  kProxyRetry = 2,   // the table failed; try again later
  kProxyBad = 3,     // malformed request
  kProxyDeny = 4,    // table not listed in proxy_read_maps / proxy_write_maps
  kProxyConfig = 5,  // the table cannot be opened as configured
};

struct ProxymapSettings {
  std::string socket_path;  // QUEUE/private/proxymap
  std::string service;      // "proxymap" or "proxywrite", for messages
  std::string table_name;   // "proxy:btree:/path", for warnings
  int ipc_timeout_seconds = 3600;  // Postfix's ipc_timeout
  int ipc_idle_seconds = 5;        // ipc_idle
  int ipc_ttl_seconds = 1000;      // ipc_ttl
  int connect_tries = 3;
  int request_tries = 3;
  std::chrono::milliseconds retry_pause{1000};
};

class ProxymapClient {
 public:
  explicit ProxymapClient(ProxymapSettings settings);

  const ProxymapSettings& settings() const { return settings_; }

  // Sends `request` (an encoded attribute list; `operation` names it in
  // messages) and reads the reply: "status" then `reply_names`, exactly.
  // On OK, *status is a known ProxyStatus and *values the other values.
  Status Call(std::string_view operation, const std::string& request,
              std::initializer_list<std::string_view> reply_names, ProxyStatus* status,
              std::vector<std::string>* values);

 private:
  Status Connect();
  Status ReadGreeting();
  Deadline NewDeadline() const;
  void Pause() const;

  ProxymapSettings settings_;
  Connection connection_;
  // On TimerSteadyNow() (common/timer_clock.h): ipc_idle and ipc_ttl.
  Clock::time_point connected_at_{};
  Clock::time_point last_used_{};
};

}  // namespace mctable

#endif  // MCTABLE_PROXY_PROXYMAP_CLIENT_H_
