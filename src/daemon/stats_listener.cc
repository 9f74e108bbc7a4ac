// The stats listener's protocol: the statistics are sent at connect time
// (the event loop has them) and the connection closes; whatever a client
// sends is read and dropped.
#include "daemon/listener_protocol.h"

namespace mctable {
namespace {

class Stats : public ListenerProtocol {
 public:
  ParsedCommand Parse(std::string_view input, const ParseLimits&) const override {
    ParsedCommand command;
    command.status = input.empty() ? ParseStatus::kNeedMore : ParseStatus::kRequest;
    command.consumed = input.size();
    command.request.op = Operation::kIgnore;
    return command;
  }
  std::string Reply(const Request&, std::span<const KeyAnswer>) const override { return {}; }
  std::string ErrorReply(ErrorKind, std::string_view) const override { return {}; }
  bool SendsStatsAtConnect() const override { return true; }
};

}  // namespace

const ListenerProtocol& StatsProtocol() {
  static const Stats protocol;
  return protocol;
}

}  // namespace mctable
