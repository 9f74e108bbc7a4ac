// Helpers for the database servers the tests start (PostgreSQL, MariaDB):
// spawning a server process, optionally as another user, that dies with
// the test process; waiting for it, stopping it by pid; and a cache of
// freshly initialised data directories.
//
// Every wait is bounded.  A server spawned here gets SIGKILL if the test
// process dies first (PR_SET_PDEATHSIG), so a crashed test leaves no
// server behind.
#ifndef MCTABLE_TESTUTIL_SERVER_PROCESS_H_
#define MCTABLE_TESTUTIL_SERVER_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "testutil/subprocess.h"

namespace mctable::testutil {

// The account `name`, or inactive if there is none.
RunAs LookupAccount(const std::string& name);

// Starts argv[0] (a Subprocess, subprocess.h) as `as`, in a process group
// of its own, with stdout and stderr appended to log_path; -1 on failure.
pid_t SpawnServer(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as);

// Runs argv to completion (bounded by timeout_seconds) as `as`, output to
// log_path; returns the exit status (128+signal if killed at the end of
// the time, or -1 if it could not start).
int RunAsAccount(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as,
                 double timeout_seconds);

// The processes whose parent is `parent` (from /proc).
std::vector<pid_t> ChildProcesses(pid_t parent);

// Whether pid is still running (reaps it if it exited).
bool ProcessAlive(pid_t pid);

// Sends `signal`, waits up to grace_seconds for the exit, then SIGKILL.
void StopProcess(pid_t pid, int signal, double grace_seconds);

// Polls ready() every 20 ms until it is true, the process exits, or
// timeout_seconds pass.
bool WaitUntilReady(pid_t pid, const std::function<bool()>& ready, double timeout_seconds);

// A directory initialised once per machine and reused: the first caller
// (under an exclusive lock) runs build(dir), which must fill `dir`; the
// result is kept as $TMPDIR/mctable-template-NAME.  Returns its path, or
// "" with *error set.
std::string CachedTemplate(const std::string& name, const std::function<bool(const std::string& dir, std::string* error)>& build,
                           std::string* error);

// Copies a template directory (cp -a: owners and modes kept) to `to`.
bool CopyTree(const std::string& from, const std::string& to, std::string* error);

std::string ReadLogTail(const std::string& path, size_t max_bytes = 2000);

// Whether the running test's name says it needs a `kind` server (suite
// named ...With<kind>, or a parameter named <type_param>... in a
// parameterized suite): cmake/tests.cmake's convention, by which ctest
// runs such tests in one process per suite and so starts the server once.
// If not, prints a note on stderr (once per process) naming the suite.
bool TestNameSaysItNeeds(const std::string& kind, const std::string& type_param);

// The one Server of the test process, started on first use and stopped
// at exit; null with *why (the reason it cannot run) otherwise.  A start
// that failed is not tried again.  `kind` and `type_param` name it as the
// test names do (TestNameSaysItNeeds).
template <typename Server>
Server* SharedServer(std::string* why, const std::string& kind, const std::string& type_param) {
  static std::unique_ptr<Server> server;
  static std::string failure;
  if (server == nullptr && failure.empty()) {
    TestNameSaysItNeeds(kind, type_param);
    auto started = std::make_unique<Server>();
    if (started->Start())
      server = std::move(started);
    else
      failure = started->error();
  }
  if (server == nullptr) *why = failure;
  return server.get();
}

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SERVER_PROCESS_H_
