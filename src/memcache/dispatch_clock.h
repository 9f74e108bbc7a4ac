// DispatchNow: the clock of the memcache client's dispatch and of server
// ejection (deadlines, retry pauses, server_retry_timeout).
//
// It is the steady clock plus an offset that only tests move
// (AdvanceDispatchClockForTesting), so that a test of something measured
// in configured seconds -- an ejected server coming back after
// server_retry_timeout -- moves time on instead of sleeping.  Moving it
// forward between calls is safe: deadlines are taken from this clock and
// compared with it, and poll() waits are computed as differences.  The
// offset never goes backwards.  Thread-safe (an atomic offset).
#ifndef MCTABLE_MEMCACHE_DISPATCH_CLOCK_H_
#define MCTABLE_MEMCACHE_DISPATCH_CLOCK_H_

#include <chrono>

namespace mctable {

std::chrono::steady_clock::time_point DispatchNow();

// Moves DispatchNow() forward by `by` (>= 0) for every client of the process.
void AdvanceDispatchClockForTesting(std::chrono::steady_clock::duration by);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_DISPATCH_CLOCK_H_
