// Subprocess; see subprocess.h.
#include "testutil/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace mctable::testutil {
namespace {

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// In the child, between fork and exec: only async-signal-safe calls.
int OutputFd(Subprocess::Output to, int captured, int log_fd, int null_fd, int own) {
  switch (to) {
    case Subprocess::Output::kCapture: return captured;
    case Subprocess::Output::kNull: return null_fd;
    case Subprocess::Output::kInherit: return own;
    case Subprocess::Output::kLogFile: return log_fd;
  }
  return null_fd;
}

}  // namespace

Subprocess::~Subprocess() {
  CloseStdin();
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Subprocess::Start(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty()) {
    error_ = "no program to run";
    return false;
  }
  auto capture = [&](Output to, const char* name) {
    return to == Output::kCapture ? ::memfd_create(name, MFD_CLOEXEC) : -1;
  };
  out_fd_ = capture(options.stdout_to, "stdout");
  err_fd_ = capture(options.stderr_to, "stderr");
  int log_fd = -1;
  if (options.stdout_to == Output::kLogFile || options.stderr_to == Output::kLogFile)
    log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int in_pipe[2] = {-1, -1};
  if ((options.stdout_to == Output::kCapture && out_fd_ < 0) ||
      (options.stderr_to == Output::kCapture && err_fd_ < 0) || null_fd < 0 ||
      ((options.stdout_to == Output::kLogFile || options.stderr_to == Output::kLogFile) && log_fd < 0) ||
      (options.stdin_pipe && ::pipe2(in_pipe, O_CLOEXEC) != 0)) {
    error_ = "cannot set up the input and output of " + argv[0] + " (" + options.log_path + ")";
    for (int fd : {log_fd, null_fd, in_pipe[0], in_pipe[1]})
      if (fd >= 0) ::close(fd);
    return false;
  }
  // Everything the child needs, made before fork (no allocation after it).
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (std::string& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const int in = options.stdin_pipe ? in_pipe[0] : null_fd;
  const int out = OutputFd(options.stdout_to, out_fd_, log_fd, null_fd, 1);
  const int err = OutputFd(options.stderr_to, err_fd_, log_fd, null_fd, 2);

  started_ = Now();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (options.own_process_group) ::setpgid(0, 0);
    if (options.as.active &&
        (::setgroups(0, nullptr) != 0 || ::setgid(options.as.gid) != 0 || ::setuid(options.as.uid) != 0))
      ::_exit(126);
    if (options.die_with_test) {
      // After the credential change, which would clear it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(125);  // the test died already
    }
    if (options.default_signals) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_DFL);
    }
    // dup2 clears close-on-exec on the copies; the originals close at exec.
    if (::dup2(in, 0) < 0 || (out != 1 && ::dup2(out, 1) < 0) || (err != 2 && ::dup2(err, 2) < 0)) ::_exit(124);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  for (int fd : {log_fd, null_fd, in_pipe[0]})
    if (fd >= 0) ::close(fd);
  if (pid < 0) {
    error_ = "fork failed for " + argv[0];
    if (in_pipe[1] >= 0) ::close(in_pipe[1]);
    return false;
  }
  pid_ = pid;
  reaped_ = false;
  stdin_fd_ = in_pipe[1];
  return true;
}

bool Subprocess::Write(const std::string& text, double timeout_seconds) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that stops reading is an EPIPE, not our death
  const double deadline = Now() + timeout_seconds;
  size_t done = 0;
  while (stdin_fd_ >= 0 && done < text.size()) {
    pollfd p = {stdin_fd_, POLLOUT, 0};
    int left_ms = static_cast<int>((deadline - Now()) * 1000);
    if (left_ms <= 0) return false;
    int ready = ::poll(&p, 1, left_ms < 100 ? left_ms : 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) {
      if (Finished()) return false;
      continue;
    }
    ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return done == text.size();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void Subprocess::Signal(int signal_number) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal_number);
}

void Subprocess::Reaped(int status) {
  status_ = status;
  reaped_ = true;
}

bool Subprocess::Finished() {
  if (pid_ <= 0 || reaped_) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) Reaped(status);
  return reaped_;
}

CommandResult Subprocess::Wait(double timeout_seconds) {
  CloseStdin();
  CommandResult result;
  const double deadline = Now() + timeout_seconds;
  // Polled with a short sleep that grows: most commands end in milliseconds.
  auto pause = std::chrono::microseconds(200);
  while (!Finished()) {
    if (Now() > deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      Reaped(status);
      break;
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(10)) pause *= 2;
  }
  result.seconds = Now() - started_;
  if (pid_ > 0) {
    if (WIFEXITED(status_))
      result.exit_status = WEXITSTATUS(status_);
    else if (WIFSIGNALED(status_))
      result.exit_status = 128 + WTERMSIG(status_);
  }
  result.out = CapturedOut();
  result.err = CapturedErr();
  return result;
}

int Subprocess::Stop(int signal_number, double grace_seconds) {
  if (pid_ <= 0) return -1;
  if (Finished()) return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  ::kill(pid_, signal_number);
  const double deadline = Now() + grace_seconds;
  while (Now() < deadline) {
    if (Finished()) return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  Reaped(status);
  return -1;
}

pid_t Subprocess::Release() {
  pid_t pid = pid_;
  CloseStdin();
  reaped_ = true;  // no longer ours to kill or reap
  pid_ = -1;
  return pid;
}

std::string Subprocess::ReadCaptured(int fd) {
  std::string text;
  if (fd < 0) return text;
  char buf[65536];
  off_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  return text;
}

}  // namespace mctable::testutil
