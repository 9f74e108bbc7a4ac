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
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mctable::testutil {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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

namespace {

Subprocess::Options ServerOptions(const std::string& log_path, const RunAs& as) {
  Subprocess::Options options;
  options.stdout_to = Subprocess::Output::kLogFile;
  options.stderr_to = Subprocess::Output::kLogFile;
  options.log_path = log_path;
  options.as = as;
  options.die_with_test = true;
  options.own_process_group = true;  // a signal to the test's group does not hit it twice
  return options;
}

}  // namespace

pid_t SpawnServer(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as) {
  Subprocess server;
  return server.Start(argv, ServerOptions(log_path, as)) ? server.Release() : -1;
}

int RunAsAccount(const std::vector<std::string>& argv, const std::string& log_path, const RunAs& as,
                 double timeout_seconds) {
  Subprocess command;
  if (!command.Start(argv, ServerOptions(log_path, as))) return -1;
  return command.Wait(timeout_seconds).exit_status;
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

bool TestNameSaysItNeeds(const std::string& kind, const std::string& type_param) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr) return true;  // not in a test (an environment's set-up)
  const std::string suite = test->test_suite_name();
  const std::string name = test->name();
  const std::string suffix = "With" + kind;
  if (suite.size() >= suffix.size() && suite.compare(suite.size() - suffix.size(), suffix.size(), suffix) == 0)
    return true;
  size_t slash = name.rfind('/');
  if (slash != std::string::npos) {
    std::string param = name.substr(slash + 1);
    if (param == type_param || param.rfind(type_param + "_", 0) == 0) return true;
  }
  static bool noted = false;
  if (!noted)
    std::fprintf(stderr,
                 "note: %s.%s starts the shared %s server, but its suite is not named ...%s: ctest then "
                 "runs each of its tests in a process of its own, each starting a server (cmake/tests.cmake)\n",
                 suite.c_str(), name.c_str(), kind.c_str(), suffix.c_str());
  noted = true;
  return false;
}

}  // namespace mctable::testutil
