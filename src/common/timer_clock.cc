// Timer clocks; see timer_clock.h.
#include "common/timer_clock.h"

#include <atomic>

namespace mctable {
namespace {

std::atomic<long long> offset_ms{0};

}  // namespace

std::chrono::steady_clock::time_point TimerSteadyNow() {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(offset_ms.load(std::memory_order_relaxed));
}

std::time_t TimerWallSeconds() {
  return std::time(nullptr) + static_cast<std::time_t>(offset_ms.load(std::memory_order_relaxed) / 1000);
}

void AdvanceTimerClocksForTesting(std::chrono::milliseconds by) {
  if (by.count() > 0) offset_ms.fetch_add(by.count(), std::memory_order_relaxed);
}

}  // namespace mctable
