// mctable's handling of SIGINT, SIGTERM and SIGHUP.
//
// The first such signal only asks the work to stop at its next safe point
// (common/interrupt.h): a build is abandoned and its temporary file
// removed, the old table stays as it was, every open table is closed and
// synced, and the command reports how far it got; then DieBySignal() ends
// the process by that same signal, so its parent sees what happened.  A
// second signal does not wait: it removes the temporary files of builds in
// progress (temp_file_registry.h) and the process dies at once.
// SIGXFSZ is ignored, so a file size limit makes writes fail with EFBIG
// (a clear error, old table kept) instead of killing the process with the
// build half written.  Nothing here fails.
#ifndef MCTABLE_CLI_SIGNALS_H_
#define MCTABLE_CLI_SIGNALS_H_

#include <string>

namespace mctable {

void InstallSignalHandlers();
// "SIGINT", "SIGTERM", "SIGHUP" or "signal N".
std::string SignalName(int signal_number);
// Ends the process by `signal_number` (default action); never returns.
[[noreturn]] void DieBySignal(int signal_number);

}  // namespace mctable

#endif  // MCTABLE_CLI_SIGNALS_H_
