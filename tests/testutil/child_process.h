// ChildProcess: a program started by a test that the test talks to while it
// runs: writes to its standard input when it likes, sends it signals, then
// waits for it (bounded) and reads what it printed.  For tests of how a
// command behaves mid-stream (interrupted loads, kills at random points),
// which RunCommand's feed-everything-then-wait cannot express.
//
// A Subprocess (subprocess.h) with a stdin pipe, its output kept, and the
// default dispositions of the stop signals.  The child is killed (SIGKILL)
// if still running when the object is destroyed.
#ifndef MCTABLE_TESTUTIL_CHILD_PROCESS_H_
#define MCTABLE_TESTUTIL_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "testutil/subprocess.h"
#include "testutil/testutil.h"

namespace mctable::testutil {

class ChildProcess {
 public:
  // Starts argv (no shell).  keep_stdin: a pipe the test writes to (else
  // /dev/null).  started() says whether fork/exec setup worked.
  ChildProcess(const std::vector<std::string>& argv, bool keep_stdin);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return process_.pid() > 0; }
  pid_t pid() const { return process_.pid(); }
  // Writes all of `text` to the child's stdin (blocking); false on error.
  bool Write(const std::string& text);
  void CloseStdin();
  void Signal(int signal_number);
  // Whether it has ended (reaps it if so).
  bool Finished();
  // Waits up to timeout_seconds (then SIGKILL); exit_status is the exit
  // code or 128+signal, out/err what it printed.
  CommandResult Wait(double timeout_seconds);

 private:
  Subprocess process_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_CHILD_PROCESS_H_
