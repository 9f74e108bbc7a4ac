// Stopping on SIGINT/SIGTERM/SIGHUP; see signals.h.
#include "cli/signals.h"

#include <signal.h>
#include <unistd.h>

#include "common/interrupt.h"
#include "table/temp_file_registry.h"

namespace mctable {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

void OnStopSignal(int signal_number) {
  if (InterruptSignal() == 0) {
    RequestInterrupt(signal_number);
    return;
  }
  // Asked twice: do not wait for the work to reach a safe point.
  RemoveRegisteredTempFiles();
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

}  // namespace

void InstallSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking read or lock wait returns EINTR
  for (int s : kStopSignals) {
    struct sigaction old;
    // A signal ignored by whoever started us (nohup) stays ignored.
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(s, &action, nullptr);
  }
  signal(SIGXFSZ, SIG_IGN);
}

std::string SignalName(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

void DieBySignal(int signal_number) {
  signal(signal_number, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(signal_number);
  _exit(128 + signal_number);  // not reached for a terminating signal
}

}  // namespace mctable
