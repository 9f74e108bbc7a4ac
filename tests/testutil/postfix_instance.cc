// PostfixInstance; see postfix_instance.h.
#include "testutil/postfix_instance.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testutil/testutil.h"

namespace mctable::testutil {
namespace {

constexpr char kPostfix[] = "/usr/sbin/postfix";

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Pause() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

bool WriteWhole(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string LastLines(const std::string& text, size_t count) {
  size_t pos = text.size();
  for (size_t n = 0; n <= count && pos > 0; ++n) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos);
}

// Whether the postfix user can reach `dir`: every ancestor must be
// searchable by others (the instance's tree itself is made so).
std::string UnreachableAncestor(const std::filesystem::path& dir) {
  for (std::filesystem::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) return p.string();
    if (p == p.root_path()) break;
  }
  return "";
}

bool ChownToPostfix(const std::string& path, mode_t mode) {
  struct passwd* pw = ::getpwnam("postfix");
  if (pw == nullptr) return false;
  return ::chown(path.c_str(), pw->pw_uid, pw->pw_gid) == 0 && ::chmod(path.c_str(), mode) == 0;
}

}  // namespace

std::string PostfixInstance::Unavailable() {
  if (::access(kPostfix, X_OK) != 0) return "Postfix is not installed (apt-get install postfix)";
  if (::geteuid() != 0)
    return "a Postfix instance needs root (its master starts as root); uid is " +
           std::to_string(::geteuid());
  if (::getpwnam("postfix") == nullptr) return "there is no postfix user (install Debian's postfix)";
  if (::getgrnam("postdrop") == nullptr) return "there is no postdrop group (install Debian's postfix)";
  return "";
}

PostfixInstance::PostfixInstance(Options options) : options_(std::move(options)) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mctable-postfix-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    error_ = "mkdtemp " + tmpl + ": " + std::strerror(errno);
    return;
  }
  root_ = tmpl;
  ::chmod(root_.c_str(), 0755);
  for (const std::string& dir : {config_dir(), queue_directory(), data_directory(), maps_dir()})
    ::mkdir(dir.c_str(), 0755);
}

void PostfixInstance::AddMainCf(const Parameters& main_cf) {
  options_.main_cf.insert(options_.main_cf.end(), main_cf.begin(), main_cf.end());
}

PostfixInstance::~PostfixInstance() {
  Stop();
  if (!root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

bool PostfixInstance::WriteConfig() {
  if (root_.empty()) return false;  // never "/etc/main.cf"
  std::string main_cf =
      "# A private Postfix instance of the mctable tests (tests/testutil/postfix_instance.cc).\n"
      "compatibility_level = 3.6\n"
      "queue_directory = " + queue_directory() + "\n"
      "data_directory = " + data_directory() + "\n"
      "multi_instance_enable = yes\n"
      "multi_instance_name = postfix-mctable-test\n"
      "syslog_name = postfix-mctable-test\n"
      "maillog_file = " + log_file() + "\n"
      "maillog_file_prefixes = " + root_ + "\n"
      "inet_interfaces = loopback-only\n"
      "inet_protocols = ipv4\n"
      "myhostname = mctable-test.localdomain\n"
      "mydestination =\n"
      "biff = no\n";
  for (const auto& [name, value] : options_.main_cf) main_cf += name + " = " + value + "\n";
  std::string master_cf =
      "# service type  private unpriv  chroot  wakeup  maxproc command\n"
      "postlog    unix-dgram n   -       n       -       1       postlogd\n";
  if (options_.proxymap_services)
    master_cf +=
        "proxymap   unix  -       -       n       -       -       proxymap\n"
        "proxywrite unix  -       -       n       -       1       proxymap\n";
  for (const std::string& line : options_.master_cf) master_cf += line + "\n";
  if (!WriteWhole(config_dir() + "/main.cf", main_cf) ||
      !WriteWhole(config_dir() + "/master.cf", master_cf)) {
    error_ = "cannot write " + config_dir() + "/main.cf or master.cf";
    return false;
  }
  // Postfix programs wait for a configuration file written within the last
  // second to be older (testutil.h, BackdateFile).
  BackdateFile(config_dir() + "/main.cf");
  BackdateFile(config_dir() + "/master.cf");
  return true;
}

bool PostfixInstance::Start() {
  if (running()) return true;
  if (root_.empty()) return false;  // error_ says why
  error_ = Unavailable();
  if (!error_.empty()) return false;
  if (std::string blocked = UnreachableAncestor(root_); !blocked.empty()) {
    error_ = "the postfix user cannot reach " + root_ + " (" + blocked +
             " is not searchable by others); set TMPDIR to a directory like /tmp";
    return false;
  }
  if (!ChownToPostfix(data_directory(), 0700) || !ChownToPostfix(maps_dir(), 0755)) {
    error_ = "cannot give " + data_directory() + " and " + maps_dir() + " to the postfix user";
    return false;
  }
  if (!WriteConfig()) return false;

  CommandResult started =
      RunCommand({kPostfix, "-c", config_dir(), "start"}, "", options_.start_timeout_seconds);
  if (started.exit_status != 0) {
    error_ = "postfix -c " + config_dir() + " start: exit status " +
             std::to_string(started.exit_status) + ": " + started.out + started.err +
             LastLines(Log(), 10);
    Stop();  // a master may be up even so
    return false;
  }
  master_pid_ = ReadMasterPid();
  if (master_pid_ <= 0 || !MasterAlive()) {
    error_ = "postfix started, but its master is not running: " + LastLines(Log(), 10);
    master_pid_ = -1;
    return false;
  }
  // "master -w" returns once the master is up; its sockets exist by then,
  // but wait (bounded) in case a slow file system shows them late.
  if (options_.proxymap_services) {
    const std::string socket = queue_directory() + "/private/proxymap";
    double deadline = Now() + 5;
    struct stat st;
    while (::stat(socket.c_str(), &st) != 0 && Now() < deadline) Pause();
    if (::stat(socket.c_str(), &st) != 0) {
      error_ = "no " + socket + " after start: " + LastLines(Log(), 10);
      Stop();
      return false;
    }
  }
  return true;
}

pid_t PostfixInstance::ReadMasterPid() const {
  if (root_.empty()) return -1;
  std::istringstream in(ReadWhole(queue_directory() + "/pid/master.pid"));
  long pid = -1;
  in >> pid;
  return pid > 1 ? static_cast<pid_t>(pid) : -1;
}

// The master chdirs to its queue directory: that tells our master from an
// unrelated process that got the same pid later.
bool PostfixInstance::IsOurMaster(pid_t pid) const {
  std::error_code ec;
  auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return false;
  auto ours = std::filesystem::weakly_canonical(queue_directory(), ec);
  return !ec && cwd == ours;
}

// Alive and not a zombie: the daemonized master is not our child, and in a
// container nobody may reap it.
bool PostfixInstance::MasterAlive() const {
  if (master_pid_ <= 0 || ::kill(master_pid_, 0) != 0) return false;
  std::string stat = ReadWhole("/proc/" + std::to_string(master_pid_) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool PostfixInstance::Stop() {
  if (master_pid_ <= 0) {
    // A failed start may have left a master behind.
    pid_t pid = ReadMasterPid();
    if (pid <= 0 || !IsOurMaster(pid)) return true;
    master_pid_ = pid;
  }
  const double deadline = Now() + options_.stop_timeout_seconds;
  RunCommand({kPostfix, "-c", config_dir(), "stop"}, "", options_.stop_timeout_seconds);
  while (MasterAlive() && Now() < deadline) Pause();
  if (MasterAlive() && IsOurMaster(master_pid_)) {
    // The master leads its own process group (it calls setsid()).
    if (::getpgid(master_pid_) == master_pid_) ::kill(-master_pid_, SIGKILL);
    ::kill(master_pid_, SIGKILL);
    const double kill_deadline = Now() + 5;
    while (MasterAlive() && Now() < kill_deadline) Pause();
  }
  bool gone = !MasterAlive();
  if (!gone) error_ = "the master (pid " + std::to_string(master_pid_) + ") did not stop";
  master_pid_ = -1;
  return gone;
}

bool PostfixInstance::Reload(const Parameters& main_cf) {
  AddMainCf(main_cf);
  if (!WriteConfig()) return false;
  if (!running()) return true;
  CommandResult reloaded =
      RunCommand({kPostfix, "-c", config_dir(), "reload"}, "", options_.stop_timeout_seconds);
  if (reloaded.exit_status != 0) {
    error_ = "postfix reload: " + reloaded.out + reloaded.err;
    return false;
  }
  return true;
}

std::string PostfixInstance::Log() const {
  return root_.empty() ? "" : ReadWhole(log_file());
}

bool PostfixInstance::GiveToPostfix(const std::string& path) const {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  return ChownToPostfix(path, st.st_mode & 07777);
}

bool PostfixInstance::WaitForLog(const std::string& text, int count, double seconds) const {
  const double deadline = Now() + seconds;
  for (;;) {
    std::string log = Log();
    int seen = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++seen;
    if (seen >= count) return true;
    if (Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool PostfixInstance::MakeTable(const std::string& type, const std::string& path, const std::string& lines) {
  // Built from a scratch directory of its own: the instance's main.cf is
  // written only by Start().
  TempDir source;
  source.WriteFile("main.cf", "");
  std::error_code ec;
  std::filesystem::copy_file(source.WriteFile("table", lines), path,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    error_ = path + ": " + ec.message();
    return false;
  }
  CommandResult built = RunCommand({MctableBinary(), "-c", source.path(), "-f", type + ":" + path});
  std::filesystem::remove(path, ec);
  if (built.exit_status != 0) {
    error_ = "mctable -f " + type + ":" + path + ": " + built.err;
    return false;
  }
  // A file table's file has its type's suffix; lmdb makes a lock file too.
  bool owned = false;
  for (const char* suffix : {".db", ".lmdb", ".cdb"}) {
    if (std::filesystem::exists(path + suffix)) owned = GiveToPostfix(path + suffix) || owned;
  }
  if (!owned) error_ = type + ":" + path + ": no table file to give to the postfix user";
  return owned;
}

}  // namespace mctable::testutil
