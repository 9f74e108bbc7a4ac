// MctabledProcess: the built mctabled run by a test (testutil's
// Subprocess), with its stderr kept, started with a bounded wait until it accepts connections, stopped
// by pid (SIGTERM, then SIGKILL if it does not go within the wait).
// LineClient: a blocking loopback client for speaking socketmap or
// tcp_table by hand (raw bytes, bounded reads), for the protocol and
// hostile-client tests.
#ifndef MCTABLE_TESTUTIL_MCTABLED_PROCESS_H_
#define MCTABLE_TESTUTIL_MCTABLED_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "testutil/subprocess.h"
#include "testutil/testutil.h"

namespace mctable::testutil {

std::string MctabledBinary();

class MctabledProcess {
 public:
  MctabledProcess() = default;
  ~MctabledProcess();

  // Runs mctabled with `args`; waits up to 10 s until `ready_endpoint`
  // ("unix:/path" or "inet:PORT") accepts a connection.  False with
  // error() set if it exits or never gets ready.
  bool Start(const std::vector<std::string>& args, const std::string& ready_endpoint);
  // SIGTERM and wait up to `seconds`; returns the exit status (128+signal
  // if killed, -1 if it had to be SIGKILLed).
  int Stop(double seconds = 10);
  void Signal(int signo) const;
  // Started and not yet ended (reaps it if it has).
  bool running();
  pid_t pid() const { return process_.pid(); }
  const std::string& error() const { return error_; }
  // Everything mctabled wrote to stderr so far.
  std::string log() const;

 private:
  Subprocess process_;
  std::string error_;
};

class LineClient {
 public:
  // "unix:/path" or "inet:PORT" (127.0.0.1).
  explicit LineClient(const std::string& endpoint);
  ~LineClient();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool Send(const std::string& bytes);
  // Reads until `bytes` bytes are there, or EOF, or the timeout.
  std::string ReadBytes(size_t bytes, double timeout_seconds = 5);
  // One netstring reply's payload; "<eof>" or "<timeout>" otherwise.
  std::string ReadNetstring(double timeout_seconds = 5);
  // One line without its newline; "<eof>" or "<timeout>" otherwise.
  std::string ReadLine(double timeout_seconds = 5);
  // True when the server closed the connection within the timeout.
  bool WaitClosed(double timeout_seconds);

 private:
  // Reads more into buffer_; false on EOF or timeout (eof_ tells which).
  bool Fill(double deadline);
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// A socketmap request in its netstring.
std::string SocketmapRequest(const std::string& map, const std::string& key);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_MCTABLED_PROCESS_H_
