// SlapdServer: a real OpenLDAP slapd (Debian's slapd 2.5) for a test: a
// temporary directory with a slapd.conf using back_mdb, a small local
// schema for mail tables (mailacceptinggeneralid, maildrop, memberdn,
// memberurl on the auxiliary class mailrecipient), data loaded with
// slapadd before the start, listening on ldap://127.0.0.1:PORT/ (a free
// loopback port) and on an ldapi:// socket in its directory; stopped by
// pid.  LDAPNOINIT=1 is set for slapd and for the tools run here, so the
// host's ldap.conf plays no part.  Start-up is bounded (10 s).
//
// The suffix is dc=example,dc=com; the root DN cn=admin,dc=example,dc=com
// (password kRootPassword) may write.  Anonymous users may read.  Protocol
// version 2 binds are refused (no "allow bind_v2"), as slapd's default.
//
// SharedSlapd() is the one server of a test process with the default data
// (DefaultLdif()): started on first use, stopped at exit.  Tests that stop
// or freeze a server, or need TLS, make their own.
#ifndef MCTABLE_TESTUTIL_SLAPD_SERVER_H_
#define MCTABLE_TESTUTIL_SLAPD_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "testutil/testutil.h"

namespace mctable::testutil {

class SlapdServer {
 public:
  struct Options {
    std::string ldif = "";    // the entries under the suffix (the suffix entry is added)
    std::string tls_cert = "";  // with tls_key and tls_ca: STARTTLS offered
    std::string tls_key = "";
    std::string tls_ca = "";
    int loglevel = 0;         // slapd's (0: none; benches want it off)
  };
  static constexpr const char* kSuffix = "dc=example,dc=com";
  static constexpr const char* kRootDn = "cn=admin,dc=example,dc=com";
  static constexpr const char* kRootPassword = "admin-secret";

  SlapdServer();
  explicit SlapdServer(Options options);
  ~SlapdServer();
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  // Starts it (again, with the same data and port, after Stop); false with
  // error() set if slapd is not installed or does not start.
  bool Start();
  void Stop();
  bool running() const;
  // SIGSTOP / SIGCONT: a server that stalls with its connections open.
  void Freeze(bool frozen);
  const std::string& error() const { return error_; }

  int port() const { return port_; }
  std::string url() const { return "ldap://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string ldapi_url() const;
  const std::string& dir() const { return dir_->path(); }

 private:
  Options options_;
  std::unique_ptr<TempDir> dir_;
  std::string conf_, log_path_, socket_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// The entries of SharedSlapd(): users, aliases, groups with member DNs and
// URLs, and the cases of tests/ldap_table_test.cc.
const std::string& DefaultLdif();

// The test process's slapd with DefaultLdif(); null with *why when it
// cannot run.
SlapdServer* SharedSlapd(std::string* why);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SLAPD_SERVER_H_
