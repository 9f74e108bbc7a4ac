#include "memcache/dispatch_io.h"

#include "memcache/connection.h"
#include "memcache/dispatch_clock.h"

namespace mctable {
namespace {

class SystemIo : public DispatchIo {
 public:
  std::chrono::steady_clock::time_point Now() override { return DispatchNow(); }
  int Poll(pollfd* fds, nfds_t count, int timeout_ms) override { return ::poll(fds, count, timeout_ms); }
  std::unique_ptr<ServerLink> NewLink(const Endpoint& endpoint,
                                      std::shared_ptr<const TlsContext> tls) override {
    return std::make_unique<Connection>(endpoint, true, std::move(tls));
  }
};

}  // namespace

DispatchIo& SystemDispatchIo() {
  static SystemIo io;
  return io;
}

}  // namespace mctable
