// A process-wide request to stop at the next safe point, set by a signal
// handler (mctable's SIGINT/SIGTERM/SIGHUP handler) and read by the loops
// that can stop cleanly: building a table, reading standard input, waiting
// for a file lock.  Work stopped this way returns an error and unwinds as
// for any other error, so temporary files are removed and every table is
// closed and synced.  Nothing here fails; setting the request is
// async-signal-safe.
#ifndef MCTABLE_COMMON_INTERRUPT_H_
#define MCTABLE_COMMON_INTERRUPT_H_

namespace mctable {

// Records that `signal_number` asked the process to stop (the first one wins).
void RequestInterrupt(int signal_number);
// The signal that asked to stop, or 0 when none did.
int InterruptSignal();
// Forgets the request (tests).
void ClearInterrupt();

}  // namespace mctable

#endif  // MCTABLE_COMMON_INTERRUPT_H_
