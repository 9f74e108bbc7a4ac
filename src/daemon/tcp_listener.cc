// The tcp_table listener's protocol (tcp_table(5)): "get KEY" lines, %XX
// encoded, for the listener's one map, looked up with the table's own
// semantics; replies 200 / 500 / 400.  The codec is lookup_protocol.h.
#include "daemon/listener_protocol.h"

namespace mctable {
namespace {

class TcpTable : public ListenerProtocol {
 public:
  ParsedCommand Parse(std::string_view input, const ParseLimits&) const override {
    ParsedRequest parsed;
    ParseStatus status = ParseTcpRequest(input, kSocketmapLimit, &parsed);
    return LookupCommand(status, &parsed);
  }
  std::string Reply(const Request&, std::span<const KeyAnswer> answers) const override {
    return TcpReply(LookupResult{answers[0].status, answers[0].value});
  }
  std::string ErrorReply(ErrorKind, std::string_view reason) const override {
    return TcpErrorReply(reason);
  }
};

}  // namespace

const ListenerProtocol& TcpTableProtocol() {
  static const TcpTable protocol;
  return protocol;
}

}  // namespace mctable
