#include "testutil/server_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testutil/testutil.h"

namespace mctable::testutil {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// In the child: become `as`, arrange to die with the parent, redirect
// output, exec.  Never returns.
[[noreturn]] void ExecChild(const std::vector<std::string>& argv, const std::string& log_path,
                            const RunAs& as, pid_t parent) {
  ::setpgid(0, 0);  // a signal to the test's process group does not hit it twice
  if (as.active) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0) ::_exit(126);
  }
  // After the credential change, which would clear it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(125);  // the parent died already
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) ::_exit(124);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  for (std::string& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace

RunAs LookupAccount(const std::string& name) {
  RunAs as;
  if (const passwd* pw = ::getpwnam(name.c_str())) {
    as.uid = pw->pw_uid;
    as.gid = pw->pw_gid;
    as.active = true;
  }
  return as;
}

pid_t SpawnServer(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) ExecChild(argv, log_path, as, parent);
  return pid;
}

int RunAsAccount(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as,
                 double timeout_seconds) {
  pid_t pid = SpawnServer(argv, log_path, as);
  if (pid < 0) return -1;
  double deadline = Now() + timeout_seconds;
  int status = 0;
  while (Now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

std::vector<pid_t> ChildProcesses(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after ")".
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  int status;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

void StopProcess(pid_t pid, int signal, double grace_seconds) {
  if (pid <= 0) return;
  ::kill(pid, signal);
  double deadline = Now() + grace_seconds;
  int status;
  while (Now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

bool WaitUntilReady(pid_t pid, const std::function<bool()>& ready, double timeout_seconds) {
  double deadline = Now() + timeout_seconds;
  while (Now() < deadline) {
    if (ready()) return true;
    if (!ProcessAlive(pid)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string CachedTemplate(const std::string& name,
                           const std::function<bool(const std::string& dir, std::string* error)>& build,
                           std::string* error) {
  const char* base = std::getenv("TMPDIR");
  std::string root = std::string(base && *base ? base : "/tmp") + "/mctable-template-" + name +
                     "-uid" + std::to_string(::geteuid());
  std::string lock_path = root + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
    *error = "cannot lock " + lock_path;
    if (lock >= 0) ::close(lock);
    return "";
  }
  std::error_code ec;
  std::string result;
  if (std::filesystem::exists(root + "/.complete", ec)) {
    result = root;
  } else {
    // Built aside and renamed into place: a template is complete or absent.
    std::string building = root + ".building";
    std::filesystem::remove_all(building, ec);
    std::filesystem::remove_all(root, ec);
    std::filesystem::create_directories(building, ec);
    ::chmod(building.c_str(), 0755);
    if (build(building, error)) {
      std::ofstream(building + "/.complete") << "ok\n";
      std::filesystem::rename(building, root, ec);
      if (!ec) result = root;
      else *error = "rename " + building + ": " + ec.message();
    } else {
      std::filesystem::remove_all(building, ec);
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return result;
}

bool CopyTree(const std::string& from, const std::string& to, std::string* error) {
  CommandResult r = RunCommand({"/bin/cp", "-a", "--sparse=always", from, to}, "", 120);
  if (r.exit_status != 0) {
    *error = "cp -a " + from + " " + to + ": " + r.err;
    return false;
  }
  return true;
}

std::string ReadLogTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace mctable::testutil
