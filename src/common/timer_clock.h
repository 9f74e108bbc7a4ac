// The clocks of the timers a table keeps between calls: the SQL tables'
// retry_interval and idle_interval (seconds, as Postfix's time()), and
// the proxymap client's ipc_idle and ipc_ttl (a steady clock).  They are
// the real clocks plus an offset that is zero unless a test moves it
// forward, so that a test of "a failed server is tried again after
// retry_interval" or "an idle connection is replaced" need not sleep for
// seconds (users still configure seconds).
//
// Deadlines of single operations (connect, query and I/O timeouts) use the
// real clocks, never these.  Thread-safe; the offset is process-wide and
// only ever grows.
#ifndef MCTABLE_COMMON_TIMER_CLOCK_H_
#define MCTABLE_COMMON_TIMER_CLOCK_H_

#include <chrono>
#include <ctime>

namespace mctable {

std::chrono::steady_clock::time_point TimerSteadyNow();
std::time_t TimerWallSeconds();

// Tests only: moves both clocks forward.
void AdvanceTimerClocksForTesting(std::chrono::milliseconds by);

}  // namespace mctable

#endif  // MCTABLE_COMMON_TIMER_CLOCK_H_
