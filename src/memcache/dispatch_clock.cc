#include "memcache/dispatch_clock.h"

#include <atomic>
#include <cstdint>

namespace mctable {
namespace {

std::atomic<int64_t> offset_ns{0};

}  // namespace

std::chrono::steady_clock::time_point DispatchNow() {
  return std::chrono::steady_clock::now() +
         std::chrono::nanoseconds(offset_ns.load(std::memory_order_relaxed));
}

void AdvanceDispatchClockForTesting(std::chrono::steady_clock::duration by) {
  if (by.count() <= 0) return;
  offset_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(by).count(),
                      std::memory_order_relaxed);
}

}  // namespace mctable
