// The socketmap listener's protocol (socketmap_table(5)): netstring
// requests "NAME KEY" looked up with the table's own semantics; replies
// OK / NOTFOUND / TEMP / TIMEOUT / PERM.  The codec is lookup_protocol.h.
#include "daemon/listener_protocol.h"

namespace mctable {
namespace {

class Socketmap : public ListenerProtocol {
 public:
  ParsedCommand Parse(std::string_view input, const ParseLimits&) const override {
    ParsedRequest parsed;
    ParseStatus status = ParseSocketmapRequest(input, kSocketmapLimit, &parsed);
    return LookupCommand(status, &parsed);
  }
  std::string Reply(const Request&, std::span<const KeyAnswer> answers) const override {
    return SocketmapReply(LookupResult{answers[0].status, answers[0].value});
  }
  std::string ErrorReply(ErrorKind kind, std::string_view reason) const override {
    return SocketmapErrorReply(kind == ErrorKind::kPermanent ? "PERM" : "TEMP", reason);
  }
};

}  // namespace

const ListenerProtocol& SocketmapProtocol() {
  static const Socketmap protocol;
  return protocol;
}

const ListenerProtocol& ProtocolFor(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kSocketmap:
      return SocketmapProtocol();
    case ListenerKind::kTcp:
      return TcpTableProtocol();
    case ListenerKind::kStats:
      return StatsProtocol();
    case ListenerKind::kMemcache:
      return MemcacheProtocol();
  }
  return SocketmapProtocol();
}

}  // namespace mctable
