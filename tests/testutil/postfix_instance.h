// PostfixInstance: a private Postfix instance for tests that need real
// Postfix daemons (proxymap and proxywrite, or any service a test adds to
// master.cf), started with "postfix -c DIR start" and stopped by pid.
//
// The instance has its own directory tree under $TMPDIR (mode 0755, so that
// the unprivileged postfix user can reach the tables in it):
//   etc/       main.cf and master.cf          (pass to postmap/mctable -c)
//   queue/     queue_directory: private/proxymap, public/postlog, pid/...
//   data/      data_directory, owned by postfix
//   maps/      for the tables the daemons read or update, owned by postfix
//   maillog    maillog_file, written by postlogd
// main.cf sets multi_instance_enable = yes, a syslog_name of its own,
// maillog_file under maillog_file_prefixes, inet_interfaces =
// loopback-only, and whatever Options::main_cf adds or overrides.  master.cf
// has the postlog service and, unless turned off, proxymap and proxywrite
// (process limit 1: Postfix's single updater); Options::master_cf lines are
// appended.
//
// How it fails: Start() returns false with the reason in error() (not root,
// Postfix not installed, "postfix start" failed: error() then carries its
// output and the end of the log).  Start() and Stop() are bounded in time.
// Stop() runs "postfix -c DIR stop" and, if the master is still there when
// that is done or timed out, kills it by the pid in its pid file, after
// checking that this pid is the master of this instance (its working
// directory is our queue directory): nothing else is ever signalled.  The
// destructor stops the instance and removes the tree.
//
// Running as root is required (Postfix's master starts as root and needs
// the postfix user and postdrop group, which Debian's postfix package
// creates).  Unavailable() says why an instance cannot run here, for
// GTEST_SKIP().
#ifndef MCTABLE_TESTUTIL_POSTFIX_INSTANCE_H_
#define MCTABLE_TESTUTIL_POSTFIX_INSTANCE_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace mctable::testutil {

class PostfixInstance {
 public:
  using Parameters = std::vector<std::pair<std::string, std::string>>;

  struct Options {
    // main.cf "name = value" lines after the instance's own; a later line
    // overrides an earlier one, as in any main.cf.
    Parameters main_cf;
    // Lines appended to master.cf (e.g. an smtpd on a loopback port).
    std::vector<std::string> master_cf;
    // The proxymap and proxywrite services in master.cf.
    bool proxymap_services = true;
    double start_timeout_seconds = 60;
    double stop_timeout_seconds = 20;
  };

  // "" when an instance can run here, else why not.
  static std::string Unavailable();

  // Makes the directory tree (so that paths are known before Start()).
  PostfixInstance() : PostfixInstance(Options()) {}
  explicit PostfixInstance(Options options);
  ~PostfixInstance();
  PostfixInstance(const PostfixInstance&) = delete;
  PostfixInstance& operator=(const PostfixInstance&) = delete;

  // Adds main.cf lines for the next Start() or Reload() (tables listed
  // by their paths in maps_dir(), which exist only once constructed).
  void AddMainCf(const Parameters& main_cf);
  bool Start();
  // Stops the instance; true when its master is gone.
  bool Stop();
  // AddMainCf(main_cf), then "postfix -c DIR reload" when running;
  // daemons started afterwards see the change.
  bool Reload(const Parameters& main_cf);

  bool running() const { return master_pid_ > 0; }
  pid_t master_pid() const { return master_pid_; }
  const std::string& error() const { return error_; }

  const std::string& root() const { return root_; }
  std::string config_dir() const { return root_ + "/etc"; }
  std::string queue_directory() const { return root_ + "/queue"; }
  std::string data_directory() const { return root_ + "/data"; }
  std::string maps_dir() const { return root_ + "/maps"; }
  std::string log_file() const { return root_ + "/maillog"; }
  // The log so far ("" if there is none yet).
  std::string Log() const;
  // Waits up to `seconds` for the log to hold `text` `count` times.
  bool WaitForLog(const std::string& text, int count, double seconds) const;

  // Makes `path` (a table written by the test as root) owned by the
  // postfix user, so that proxywrite may update it.
  bool GiveToPostfix(const std::string& path) const;
  // Builds the table `type`:`path` from "key value" lines with `mctable
  // -f` (as postmap would), owned by the postfix user: a table a daemon
  // updates but will not create (e.g. a memcache table's backup, which
  // Postfix opens without O_CREAT).  False with the reason in error().
  bool MakeTable(const std::string& type, const std::string& path, const std::string& lines);

 private:
  bool WriteConfig();
  bool MasterAlive() const;
  bool IsOurMaster(pid_t pid) const;
  pid_t ReadMasterPid() const;

  Options options_;
  std::string root_;
  pid_t master_pid_ = -1;
  std::string error_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_POSTFIX_INSTANCE_H_
