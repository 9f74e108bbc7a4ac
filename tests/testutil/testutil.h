// Test utilities: a real memcached started and stopped by the test, a
// temporary directory, captured warnings, and a runner for the mctable /
// postmap commands.
//
// Every server is bound to loopback (or a unix socket in the test's own
// directory), started with a bounded wait for readiness, and killed by pid
// in the destructor.  Every program a test runs is started by Subprocess
// (subprocess.h): one launcher, with a deadline and stop-by-pid.
//
// Servers that take seconds to start, and the names that say a test needs
// one (cmake/tests.cmake has the rest):
//   PostgreSQL  SharedPostgres()   suite ...WithPostgres, or a parameter
//                                  named pgsql or pgsql_... (SQL type suites)
//   MariaDB     SharedMariadb()    suite ...WithMariadb, or parameter mysql...
//   Postfix     PostfixInstance    suite ...WithPostfix (one per suite, in
//                                  SetUpTestSuite)
//   slapd                          suite ...WithSlapd
// ctest runs such a suite as one process (or a few shards), so the server
// starts once per process, not once per test; a test that starts a shared
// server without such a name gets a note on stderr.  Tests in one process
// share the server, so each uses its own keys, tables or key_format prefix.
#ifndef MCTABLE_TESTUTIL_TESTUTIL_H_
#define MCTABLE_TESTUTIL_TESTUTIL_H_

#include <sys/types.h>

#include <memory>
#include <chrono>
#include <string>
#include <vector>

#include "mctable/log.h"
#include "mctable/status.h"

// Expects a Status-returning call to succeed, printing the status if not.
#define EXPECT_OK(expr)                                  \
  do {                                                   \
    const ::mctable::Status expect_ok_status = (expr);   \
    EXPECT_TRUE(expect_ok_status.ok()) << #expr << ": " << expect_ok_status.ToString(); \
  } while (0)

namespace mctable::testutil {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.  A name
  // ending ".cf" (main.cf, a table's configuration) is dated a minute back
  // (BackdateFile): Postfix would wait for it to be a second old.
  std::string WriteFile(const std::string& name, const std::string& content) const;
  // The same, then sets the file's permission bits to `mode` (for secret
  // files: keys, passwords, TLS private keys).
  std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) const;

 private:
  std::string path_;
};

std::string ReadFileOrDie(const std::string& path);

// The names in a directory, sorted, one per line ("a\nb\n"), as ls prints.
std::string DirectoryListing(const std::string& path);

// Collects warnings for the lifetime of the object.
class CapturedWarnings {
 public:
  CapturedWarnings() {
    old_ = SetLogSink([this](LogLevel level, std::string_view text) {
      if (level == LogLevel::kWarning) lines_.emplace_back(text);
    });
  }
  ~CapturedWarnings() { SetLogSink(std::move(old_)); }
  const std::vector<std::string>& lines() const { return lines_; }
  std::string joined() const {
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    return all;
  }

 private:
  LogSink old_;
  std::vector<std::string> lines_;
};


// A memcached process.  Start() picks a free loopback port (or a unix socket
// when unix_socket is set) and waits until it answers.
class MemcachedServer {
 public:
  struct Options {
    bool unix_socket = false;
    bool ipv6 = false;       // listen on [::1] rather than 127.0.0.1
    std::string socket_dir;  // for the unix socket; defaults to a TempDir
    int memory_mb = 64;
    int max_item_size_kb = 0;  // 0: memcached default (1 MB)
    int port = 0;              // 0: a free loopback port
    // More options for memcached, e.g. {"-Z", "-o", "ssl_chain_cert=..."}
    // for TLS or {"-Y", FILE} for ASCII authentication.  RawCommand, Get
    // and Set speak plain unauthenticated text: not for such servers.
    std::vector<std::string> extra_args;
    // "NAME=VALUE" settings for memcached's environment only (run through env).
    std::vector<std::string> environment;
  };
  MemcachedServer() : MemcachedServer(Options()) {}
  explicit MemcachedServer(Options options);
  ~MemcachedServer();

  // Returns false (with a reason in error()) if memcached cannot be run.
  bool Start();
  // Starts it again where it listened before (same port or socket), empty.
  bool Restart();
  void Stop();
  // SIGSTOP (true) or SIGCONT (false): a server that accepts but never answers.
  void Freeze(bool frozen) const;
  bool running() const { return pid_ > 0; }
  // Sends `signal_number` (SIGSTOP, SIGCONT: a stall, a partition) to the
  // server; after SIGSTOP, returns once every thread of it has stopped.
  void Signal(int signal_number) const;
  const std::string& error() const { return error_; }

  // "inet:127.0.0.1:PORT", "inet:[::1]:PORT" or "unix:/path".
  std::string endpoint() const;
  int port() const { return port_; }

  // Raw protocol access for checking what a table stored; returns the
  // reply (bounded by a 5 s timeout).
  std::string RawCommand(const std::string& command_with_crlf, const std::string& until) const;
  // Value of `key` or "" with *found false.
  std::string Get(const std::string& key, bool* found, unsigned* flags = nullptr) const;
  void Set(const std::string& key, const std::string& value, unsigned flags = 0, int ttl = 0) const;

 private:
  Options options_;
  std::unique_ptr<TempDir> own_dir_;  // for the unix socket, made on first need
  pid_t pid_ = -1;
  int port_ = 0;
  std::string socket_path_;
  std::string error_;
};

// Whether the table type is built in (its library was found at build time).
bool HaveTableType(const std::string& type);

// The lines of `text` (each ended by "\n"), without their newlines.
std::vector<std::string> SplitLines(const std::string& text);

// How many times `what` occurs in `text` (overlapping ones too).
int CountOccurrences(const std::string& text, const std::string& what);

// Starts argv[0] (no shell, a Subprocess) as a test server: stdin and
// stdout (and stderr unless keep_stderr) on /dev/null, killed by the
// kernel if the test process dies.  Returns its pid (the caller stops it
// by pid), or -1 if it could not start.
pid_t StartServerProcess(const std::vector<std::string>& argv, bool keep_stderr);

// Returns a loopback TCP port nobody listens on at the time of the call
// (on 127.0.0.1, or on ::1 with ipv6).
int FreeLoopbackPort(bool ipv6 = false);

// Whether this machine has an IPv6 loopback address (::1) to listen on.
bool HaveIpv6Loopback();

// A blocking connection to socket_path (when not empty) or to `port` on
// 127.0.0.1 (::1 with ipv6); -1 if it cannot connect.
int ConnectLoopback(int port, const std::string& socket_path, bool ipv6 = false);

struct CommandResult {
  int exit_status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
  double seconds = 0;
};

// Runs argv[0] with argv (no shell, a Subprocess), feeding `input` on
// stdin (a pipe); killed after timeout_seconds.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         double timeout_seconds = 60);

// A command for RunCommands: argv (no shell) and its stdin.
struct CommandSpec {
  std::vector<std::string> argv;
  std::string input;
};
// Runs the commands at the same time (each as RunCommand would, all within
// timeout_seconds) and returns their results in order.  For probes that
// mostly wait: postmap sleeps a second before it exits on a fatal error.
std::vector<CommandResult> RunCommands(const std::vector<CommandSpec>& commands, double timeout_seconds = 60);

// Wall time since `start`, in seconds (for the bounds the fault tests check).
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Path of the built mctable binary.
std::string MctableBinary();

// "ASAN_OPTIONS=...:detect_leaks=0" when this test runs under
// AddressSanitizer options, else "".  LeakSanitizer stops the process it
// checks with ptrace: it cannot check a child traced by strace, nor one that
// dropped root privileges (the kernel makes it non-dumpable), and aborts.
// Tests that run such a child put this in its environment.
std::string LeakCheckOffSetting();

// Whether process `pid` has a handler installed for `signal_number`
// (/proc/PID/status SigCgt).  A signal sent before the handler is installed
// kills the process by the default action, which is not what a test of the
// handler is testing.
bool CatchesSignal(pid_t pid, int signal_number);
// Path of Debian's postmap, or "" if it is not installed.
std::string PostmapBinary();
// Path of the openssl command (Debian package openssl), or "".
std::string OpensslBinary();

// Dates `path` a minute back.  Postfix rereads a table configuration file
// modified within the last second (it might be half written) until it is
// older, about 2 s per run: tests that just wrote one call this.
void BackdateFile(const std::string& path);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_TESTUTIL_H_
