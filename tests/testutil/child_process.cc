// ChildProcess; see child_process.h.
#include "testutil/child_process.h"

namespace mctable::testutil {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, bool keep_stdin) {
  Subprocess::Options options;
  options.stdin_pipe = keep_stdin;
  options.default_signals = true;
  process_.Start(argv, options);
}

bool ChildProcess::Write(const std::string& text) { return process_.Write(text); }

void ChildProcess::CloseStdin() { process_.CloseStdin(); }

void ChildProcess::Signal(int signal_number) { process_.Signal(signal_number); }

bool ChildProcess::Finished() { return process_.Finished(); }

CommandResult ChildProcess::Wait(double timeout_seconds) { return process_.Wait(timeout_seconds); }

}  // namespace mctable::testutil
