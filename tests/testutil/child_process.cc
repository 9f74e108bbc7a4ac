// ChildProcess; see child_process.h.
#include "testutil/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace mctable::testutil {
namespace {

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, bool keep_stdin) {
  int in_pipe[2] = {-1, -1};
  if (keep_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) return;
  std::string out = dir_.path() + "/stdout", err = dir_.path() + "/stderr";
  pid_t pid = ::fork();
  if (pid < 0) return;
  if (pid == 0) {
    int in = keep_stdin ? in_pipe[0] : ::open("/dev/null", O_RDONLY);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    // The test may have stop signals blocked or ignored; the child must not.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_DFL);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  pid_ = pid;
  if (keep_stdin) {
    ::close(in_pipe[0]);
    stdin_fd_ = in_pipe[1];
  }
}

ChildProcess::~ChildProcess() {
  CloseStdin();
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool ChildProcess::Write(const std::string& text) {
  ::signal(SIGPIPE, SIG_IGN);
  size_t done = 0;
  while (stdin_fd_ >= 0 && done < text.size()) {
    ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return done == text.size();
}

void ChildProcess::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void ChildProcess::Signal(int signal_number) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal_number);
}

bool ChildProcess::Finished() {
  if (pid_ <= 0 || reaped_) return true;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

CommandResult ChildProcess::Wait(double timeout_seconds) {
  CommandResult result;
  double deadline = Now() + timeout_seconds;
  while (!Finished()) {
    if (Now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      break;
    }
    ::usleep(10000);
  }
  if (WIFEXITED(status_))
    result.exit_status = WEXITSTATUS(status_);
  else if (WIFSIGNALED(status_))
    result.exit_status = 128 + WTERMSIG(status_);
  result.out = ReadFileOrDie(dir_.path() + "/stdout");
  result.err = ReadFileOrDie(dir_.path() + "/stderr");
  return result;
}

}  // namespace mctable::testutil
