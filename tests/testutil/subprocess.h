// Subprocess: the one way the tests start a program (no shell): a command
// run to completion (RunCommand), a server (StartServerProcess,
// SpawnServer, RunAsAccount), a command driven mid-stream (ChildProcess),
// mctabled (MctabledProcess) all start theirs here.
//
// What it guarantees: every wait has a deadline, after which the program
// gets SIGKILL; the program is signalled by its own pid only (never a
// group or a name); the destructor kills and reaps a program still
// running (unless Release()d to a caller that stops it by pid itself);
// with die_with_test the kernel kills it if the test process dies first
// (PR_SET_PDEATHSIG, so a crashed test leaves no server behind).
// Captured output goes to anonymous memory files, not pipes, so a program
// that prints much never blocks on the test, and a grandchild that keeps
// the output open never holds up Wait().
//
// How it fails: Start() returns false with error() when fork or the
// output files fail; a program that cannot be executed exits 127 (126 or
// 125 when it cannot take the account or its parent is gone).
#ifndef MCTABLE_TESTUTIL_SUBPROCESS_H_
#define MCTABLE_TESTUTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable::testutil {

// A system account to run a program as (PostgreSQL refuses to run as root).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  bool active = false;
};

class Subprocess {
 public:
  enum class Output {
    kCapture,   // kept; Wait() returns it
    kNull,      // /dev/null
    kInherit,   // the test's own
    kLogFile,   // appended to Options::log_path
  };
  struct Options {
    bool stdin_pipe = false;  // a pipe for Write(); else /dev/null
    Output stdout_to = Output::kCapture;
    Output stderr_to = Output::kCapture;
    std::string log_path;  // for kLogFile (stdout and stderr may share it)
    RunAs as;              // take this account before exec
    bool die_with_test = false;
    bool own_process_group = false;  // a signal to the test's group misses it
    bool default_signals = false;    // unblock all, default INT TERM HUP PIPE
  };

  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool Start(const std::vector<std::string>& argv, const Options& options);
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

  // Writes all of `text` to its stdin pipe within timeout_seconds; false
  // if it closed its end, has exited, or the time ran out.
  bool Write(const std::string& text, double timeout_seconds = 60);
  void CloseStdin();
  void Signal(int signal_number) const;
  // Whether it has ended (reaping it if so).
  bool Finished();
  // Waits up to timeout_seconds (then SIGKILL).  exit_status is the exit
  // code or 128+signal; out and err what was captured; seconds since Start.
  CommandResult Wait(double timeout_seconds);
  // Sends `signal_number`, waits up to grace_seconds, then SIGKILL.
  // Returns the exit code or 128+signal, or -1 if it had to be killed.
  int Stop(int signal_number, double grace_seconds);
  // Hands the pid to the caller, who stops it by pid from now on.
  pid_t Release();

  // What it has printed so far to a captured stdout / stderr.
  std::string CapturedOut() const { return ReadCaptured(out_fd_); }
  std::string CapturedErr() const { return ReadCaptured(err_fd_); }

 private:
  static std::string ReadCaptured(int fd);
  void Reaped(int status);

  pid_t pid_ = -1;
  bool reaped_ = true;
  int status_ = 0;
  int stdin_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  double started_ = 0;
  std::string error_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SUBPROCESS_H_
