// ProxymapClient; see proxymap_client.h.
#include "proxy/proxymap_client.h"

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/timer_clock.h"
#include "mctable/log.h"
#include "proxy/attr_codec.h"

namespace mctable {
namespace {

constexpr char kProtocolName[] = "proxymap_protocol";

// Feeds a connection's input to an attribute list parser.
class AttributeReply : public ReplyConsumer {
 public:
  Progress Consume(std::string_view input, size_t* consumed) override {
    switch (parser_.Feed(input, consumed)) {
      case AttributeListParser::Progress::kDone:
        return Progress::kDone;
      case AttributeListParser::Progress::kError:
        return Progress::kError;
      case AttributeListParser::Progress::kNeedMore:
        break;
    }
    return Progress::kNeedMore;
  }
  std::string error() const override { return "malformed reply: " + parser_.error(); }
  const std::vector<Attribute>& attributes() const { return parser_.attributes(); }

 private:
  AttributeListParser parser_;
};

// Whether a failed exchange means the server went away (it exits after
// max_idle or max_use, or when a table it has open changed) rather than
// misbehaved.
bool IsDisconnect(const std::string& reason) {
  return reason == Connection::kEndOfFile || reason == std::strerror(EPIPE) ||
         reason == std::strerror(ECONNRESET);
}

Endpoint UnixEndpoint(const std::string& path) {
  Endpoint endpoint;
  endpoint.kind = Endpoint::Kind::kUnix;
  endpoint.path = path;
  return endpoint;
}

}  // namespace

ProxymapClient::ProxymapClient(ProxymapSettings settings)
    : settings_(std::move(settings)),
      connection_(UnixEndpoint(settings_.socket_path), /*log_connect_failures=*/false) {}

Deadline ProxymapClient::NewDeadline() const {
  return Clock::now() + std::chrono::seconds(settings_.ipc_timeout_seconds);
}

void ProxymapClient::Pause() const { std::this_thread::sleep_for(settings_.retry_pause); }

Status ProxymapClient::ReadGreeting() {
  AttributeReply greeting;
  Status s = connection_.Exchange("", &greeting, NewDeadline());
  if (!s.ok()) return s;
  std::vector<std::string_view> values;
  static constexpr std::string_view kGreeting[] = {"protocol"};
  std::string why = ExpectAttributes(greeting.attributes(), kGreeting, &values);
  if (why.empty() && values[0] != kProtocolName)
    why = "protocol \"" + PrintableBytes(values[0].substr(0, 64)) + "\"";
  if (!why.empty()) {
    connection_.Close();
    return Status::TempError("unexpected server greeting (want protocol " +
                             std::string(kProtocolName) + "): " + why);
  }
  return Status::OK();
}

Status ProxymapClient::Connect() {
  for (int attempt = 1;; ++attempt) {
    bool refused = false;
    Status s = connection_.Open(NewDeadline(), &refused);
    if (s.ok()) s = ReadGreeting();
    if (s.ok()) {
      connected_at_ = last_used_ = TimerSteadyNow();
      if (LogVerbosity() > 0) LogInfo("connected to " + settings_.socket_path);
      return s;
    }
    connection_.Close();
    std::string text =
        "connect #" + std::to_string(attempt) + " to subsystem " + settings_.socket_path + ": " + s.message();
    if (attempt >= settings_.connect_tries) return Status::TempError(text);
    LogWarning(text);
    Pause();
  }
}

Status ProxymapClient::Call(std::string_view operation, const std::string& request,
                            std::initializer_list<std::string_view> reply_names, ProxyStatus* status,
                            std::vector<std::string>* values) {
  const auto now = TimerSteadyNow();
  if (connection_.is_ready() &&
      (connection_.PeerClosedOrSpoke() ||
       now - last_used_ >= std::chrono::seconds(settings_.ipc_idle_seconds) ||
       now - connected_at_ >= std::chrono::seconds(settings_.ipc_ttl_seconds)))
    connection_.Close();

  std::vector<std::string_view> names{"status"};
  names.insert(names.end(), reply_names.begin(), reply_names.end());
  std::string reason;
  for (int attempt = 1; attempt <= settings_.request_tries; ++attempt) {
    const bool reused = connection_.is_ready();
    if (!reused) {
      Status s = Connect();
      if (!s.ok()) return s;
    }
    AttributeReply reply;
    const Deadline deadline = NewDeadline();
    Status s = connection_.Exchange(request, &reply, deadline);
    if (s.ok()) {
      std::vector<std::string_view> got;
      std::string why = ExpectAttributes(reply.attributes(), names, &got);
      unsigned long code = 0;
      if (why.empty() && !ParseAttributeNumber(got[0], 1000000, &code))
        why = "malformed status \"" + PrintableBytes(got[0].substr(0, 64)) + "\"";
      if (why.empty() && code > kProxyConfig) why = "unexpected reply status " + std::to_string(code);
      if (why.empty()) {
        last_used_ = TimerSteadyNow();
        *status = static_cast<ProxyStatus>(code);
        values->assign(got.begin() + 1, got.end());
        return Status::OK();
      }
      connection_.Close();
      reason = why;
    } else {
      reason = s.message();
      // poll() rounds the wait down to milliseconds: the deadline may be a
      // fraction of one away when the timeout is reported.
      if (reason == std::strerror(ETIMEDOUT) || Clock::now() >= deadline)
        return Status::TempError(std::string(operation) + " via " + settings_.socket_path +
                                 ": no reply within ipc_timeout (" +
                                 std::to_string(settings_.ipc_timeout_seconds) + "s)");
    }
    // A reused connection may have been closed by a server that has since
    // exited: that first failure is routine, retried at once and quietly.
    if (attempt == 1 && reused && IsDisconnect(reason)) continue;
    if (attempt < settings_.request_tries) {
      LogWarning("table " + settings_.table_name + ": " + std::string(operation) + " via " +
                 settings_.socket_path + ": " + reason);
      Pause();
    }
  }
  return Status::TempError(std::string(operation) + " via " + settings_.socket_path + ": " +
                           reason + " (" + std::to_string(settings_.request_tries) + " tries)");
}

}  // namespace mctable
