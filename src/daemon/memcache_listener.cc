// The memcache listener's protocol: memcached's text protocol as Postfix's
// memcache client (and libmemcached) speak it, on the listener's map,
// with the client's exact keys (ExactKeyCache: no key_format, folding or
// domain of the table).  The codec is memcache_protocol.h.
//
// Replies: a get's found keys as VALUE blocks in request order, then END;
// a get with a key the table cannot use is one CLIENT_ERROR, and one whose
// table failed is one SERVER_ERROR, never a partial answer (a client would
// take the missing keys for misses).  set: STORED, or CLIENT_ERROR (bad
// key, value too large) or SERVER_ERROR (the write failed) -- never
// NOT_STORED, which Postfix takes as a failure of an accepted write.
// delete: DELETED / NOT_FOUND, or an error as set.  noreply: nothing.
#include "daemon/listener_protocol.h"
#include "daemon/memcache_protocol.h"

namespace mctable {
namespace {

std::string ErrorFor(const Status& status) {
  return status.IsRefused() ? MemcacheClientError(status.message())
                            : MemcacheServerError(status.message());
}

class Memcache : public ListenerProtocol {
 public:
  ParsedCommand Parse(std::string_view input, const ParseLimits& limits) const override {
    MemcacheParse parsed = ParseMemcacheRequest(input, kMemcacheLineLimit, limits.max_value);
    ParsedCommand command;
    command.status = parsed.status;
    command.consumed = parsed.consumed;
    command.discard = parsed.discard;
    command.error = std::move(parsed.error);
    Request& r = command.request;
    MemcacheRequest& m = parsed.request;
    r.keys = std::move(m.keys);
    r.noreply = m.noreply;
    switch (m.command) {
      case MemcacheCommand::kGet:
      case MemcacheCommand::kGets:
        r.op = Operation::kGet;
        r.with_cas = m.command == MemcacheCommand::kGets;
        break;
      case MemcacheCommand::kSet:
        r.op = Operation::kSet;
        r.value = std::move(m.value);
        r.flags = m.flags;
        r.ttl = m.exptime;
        break;
      case MemcacheCommand::kDelete:
        r.op = Operation::kDelete;
        break;
      case MemcacheCommand::kVersion:
        r.op = Operation::kReply;
        r.reply = MemcacheVersion("mctabled");
        break;
      case MemcacheCommand::kQuit:
        r.op = Operation::kIgnore;
        r.close = true;
        break;
      case MemcacheCommand::kUnknown:
        r.op = Operation::kReply;
        r.reply = std::string(kMemcacheError);
        break;
    }
    return command;
  }

  std::string Reply(const Request& request, std::span<const KeyAnswer> answers) const override {
    if (request.op == Operation::kGet) {
      for (const KeyAnswer& a : answers)
        if (a.status.IsRefused()) return ErrorFor(a.status);
      for (const KeyAnswer& a : answers)
        if (a.status.IsError()) return ErrorFor(a.status);
      std::string out;
      for (size_t i = 0; i < answers.size(); ++i)
        if (answers[i].status.ok())
          out += MemcacheValue(request.keys[i], answers[i].flags, answers[i].value, request.with_cas);
      out += kMemcacheEnd;
      return out;
    }
    if (request.noreply) return {};
    const Status& status = answers[0].status;
    if (status.ok())
      return std::string(request.op == Operation::kSet ? kMemcacheStored : kMemcacheDeleted);
    if (status.IsNotFound() && request.op == Operation::kDelete) return std::string(kMemcacheNotFound);
    return ErrorFor(status);
  }

  std::string ErrorReply(ErrorKind kind, std::string_view reason) const override {
    return kind == ErrorKind::kPermanent ? MemcacheClientError(reason) : MemcacheServerError(reason);
  }

  bool NeedsExactKeys() const override { return true; }
};

}  // namespace

const ListenerProtocol& MemcacheProtocol() {
  static const Memcache protocol;
  return protocol;
}

}  // namespace mctable
