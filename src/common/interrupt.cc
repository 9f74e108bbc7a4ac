// The interrupt request; see interrupt.h.
#include "common/interrupt.h"

#include <atomic>

namespace mctable {
namespace {

// Lock-free, so reading and writing it in a signal handler is safe.
std::atomic<int> requested_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

}  // namespace

void RequestInterrupt(int signal_number) {
  int none = 0;
  requested_signal.compare_exchange_strong(none, signal_number);
}

int InterruptSignal() { return requested_signal.load(); }

void ClearInterrupt() { requested_signal.store(0); }

}  // namespace mctable
