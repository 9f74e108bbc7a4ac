// ListenerProtocol: what the event loop needs of a listener's protocol:
// parse one request from a connection's input, format the reply to its
// answers, and an error reply.  One implementation per file:
// socketmap_listener.cc, tcp_listener.cc, stats_listener.cc,
// memcache_listener.cc.  The event loop (server.cc) does the I/O, the
// ordering and the table calls, and never looks at the protocol's kind.
//
// A request is one of the map operations below, or a reply the protocol
// gives by itself (memcache's "version", "ERROR").  Its answers, one per
// key, come back together, so a multi-key get is formatted whole, in key
// order, before its END.
//
// Failure: Parse reports kBadRequest (answer ErrorReply(kPermanent, error)
// and go on) or kFramingError (answer, then close), as lookup_protocol.h.
// Implementations are stateless and shared by every connection.
#ifndef MCTABLE_DAEMON_LISTENER_PROTOCOL_H_
#define MCTABLE_DAEMON_LISTENER_PROTOCOL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_config.h"
#include "daemon/lookup_protocol.h"
#include "daemon/request.h"
#include "mctable/status.h"

namespace mctable {

struct ParsedCommand {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;
  size_t discard = 0;  // kBadRequest: more bytes to drop as they arrive
  std::string error;   // kBadRequest, kFramingError
  Request request;
};

// What a parse may depend on beyond the bytes.
struct ParseLimits {
  size_t max_value = 0;  // memcache set: the map's ExactKeyCache::max_value_size
};

enum class ErrorKind {
  kPermanent,  // bad request, unknown map (socketmap PERM, tcp 400, CLIENT_ERROR)
  kTemporary,  // busy (socketmap TEMP, tcp 400, SERVER_ERROR)
};

class ListenerProtocol {
 public:
  virtual ~ListenerProtocol() = default;

  virtual ParsedCommand Parse(std::string_view input, const ParseLimits& limits) const = 0;
  // The reply to `request`, given its answers (one per key).
  virtual std::string Reply(const Request& request, std::span<const KeyAnswer> answers) const = 0;
  virtual std::string ErrorReply(ErrorKind kind, std::string_view reason) const = 0;
  // Whether the listener answers at connect time with the statistics and
  // closes (stats); such a listener needs no map.
  virtual bool SendsStatsAtConnect() const { return false; }
  // Whether the listener's map must have exact-key access (memcache).
  virtual bool NeedsExactKeys() const { return false; }
};

// A socketmap or tcp_table request (lookup_protocol.h) as a lookup command.
inline ParsedCommand LookupCommand(ParseStatus status, ParsedRequest* parsed) {
  ParsedCommand command;
  command.status = status;
  command.consumed = parsed->consumed;
  command.error = std::move(parsed->error);
  command.request.map_name = std::move(parsed->map_name);
  command.request.keys.push_back(std::move(parsed->key));
  return command;
}

// The protocol of a listener kind; lives as long as the program.
const ListenerProtocol& ProtocolFor(ListenerKind kind);

const ListenerProtocol& SocketmapProtocol();
const ListenerProtocol& TcpTableProtocol();
const ListenerProtocol& StatsProtocol();
const ListenerProtocol& MemcacheProtocol();

}  // namespace mctable

#endif  // MCTABLE_DAEMON_LISTENER_PROTOCOL_H_
