#include "testutil/slapd_server.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testutil/server_process.h"

namespace mctable::testutil {
namespace {

const char kSlapd[] = "/usr/sbin/slapd";
const char kSlapadd[] = "/usr/sbin/slapadd";

// Directory strings, so that UTF-8 keys and values can be stored.
const char kMailSchema[] = R"(attributetype ( 1.3.6.1.4.1.32473.1.1.1 NAME 'mailacceptinggeneralid'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.32473.1.1.2 NAME 'maildrop'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.32473.1.1.3 NAME 'memberdn'
  EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
attributetype ( 1.3.6.1.4.1.32473.1.1.4 NAME 'memberurl'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
objectclass ( 1.3.6.1.4.1.32473.1.2.1 NAME 'mailrecipient' SUP top AUXILIARY
  MAY ( mailacceptinggeneralid $ maildrop $ memberdn $ memberurl ) )
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

const std::string& DefaultLdif() {
  static const std::string ldif = R"(dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: cn=alice,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: alice
mailacceptinggeneralid: alice@example.com
maildrop: alice@mail.example.com
maildrop: alice.two@mail.example.com

dn: cn=bob,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: bob
maildrop: bob@mail.example.com
mailacceptinggeneralid: bob@example.com
mailacceptinggeneralid: robert@example.com

dn: cn=dup1,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: dup1
mailacceptinggeneralid: dup@example.com
maildrop: same@mail.example.com

dn: cn=dup2,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: dup2
mailacceptinggeneralid: dup@example.com
maildrop: same@mail.example.com

dn: cn=star,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: star
mailacceptinggeneralid: a*b(c)\5Cd@example.com
maildrop: star@mail.example.com

dn: cn=joerg,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: joerg
mailacceptinggeneralid: jörg@example.com
maildrop: jörg@mail.example.com

dn: cn=novalue,ou=people,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: novalue
mailacceptinggeneralid: novalue@example.com

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: cn=staff,ou=groups,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: staff
mailacceptinggeneralid: staff@example.com
memberdn: cn=alice,ou=people,dc=example,dc=com
memberdn: cn=bob,ou=people,dc=example,dc=com
memberdn: cn=ghost,ou=people,dc=example,dc=com
maildrop: staff-owner@mail.example.com

dn: cn=routed,ou=groups,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: routed
mailacceptinggeneralid: routed@example.com
memberdn: cn=alice,ou=people,dc=example,dc=com
maildrop: routed@lists.example.com

dn: cn=dynamic,ou=groups,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: dynamic
mailacceptinggeneralid: dynamic@example.com
memberurl: ldap:///ou=people,dc=example,dc=com?maildrop?sub?(mailacceptinggeneralid=d*)

dn: cn=loop1,ou=groups,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: loop1
mailacceptinggeneralid: loop@example.com
memberdn: cn=loop2,ou=groups,dc=example,dc=com

dn: cn=loop2,ou=groups,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: loop2
memberdn: cn=loop1,ou=groups,dc=example,dc=com

dn: ou=domains,dc=example,dc=com
objectClass: organizationalUnit
ou: domains

dn: ou=example.org,ou=domains,dc=example,dc=com
objectClass: organizationalUnit
ou: example.org

dn: cn=carol,ou=example.org,ou=domains,dc=example,dc=com
objectClass: organizationalRole
objectClass: mailrecipient
cn: carol
mailacceptinggeneralid: carol
maildrop: carol@mail.example.org

dn: ou=elsewhere,dc=example,dc=com
objectClass: referral
objectClass: extensibleObject
ou: elsewhere
ref: ldap://127.0.0.1:@PORT@/ou=elsewhere,dc=example,dc=com
)";
  static const std::string big = [] {
    std::string entries;
    for (int i = 1; i <= 5; ++i) {
      std::string n = std::to_string(i);
      entries += "\ndn: cn=big" + n + ",ou=people,dc=example,dc=com\nobjectClass: organizationalRole\n"
                 "objectClass: mailrecipient\ncn: big" + n + "\nmailacceptinggeneralid: big@example.com\n"
                 "maildrop: big" + n + "@mail.example.com\n";
    }
    return ldif + entries;
  }();
  return big;
}

SlapdServer::SlapdServer() : SlapdServer(Options{DefaultLdif()}) {}

SlapdServer::SlapdServer(Options options) : options_(std::move(options)) {}

SlapdServer::~SlapdServer() { Stop(); }

bool SlapdServer::running() const { return ProcessAlive(pid_); }

void SlapdServer::Freeze(bool frozen) {
  if (pid_ > 0) ::kill(pid_, frozen ? SIGSTOP : SIGCONT);
}

std::string SlapdServer::ldapi_url() const {
  std::string escaped;
  for (char c : socket_) escaped += c == '/' ? std::string("%2F") : std::string(1, c);
  return "ldapi://" + escaped;
}

bool SlapdServer::Start() {
  if (running()) return true;
  if (::access(kSlapd, X_OK) != 0 || ::access(kSlapadd, X_OK) != 0) {
    error_ = "slapd is not installed (apt-get install slapd ldap-utils)";
    return false;
  }
  ::setenv("LDAPNOINIT", "1", 1);
  if (dir_ == nullptr) {
    dir_ = std::make_unique<TempDir>();
    port_ = FreeLoopbackPort();
    const std::string dir = dir_->path();
    socket_ = dir + "/ldapi";
    log_path_ = dir + "/slapd.log";
    std::filesystem::create_directory(dir + "/db");
    std::string schema = dir_->WriteFile("mail.schema", kMailSchema);
    std::string conf = "include /etc/ldap/schema/core.schema\ninclude " + schema + "\n" +
                       "pidfile " + dir + "/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n" +
                       "loglevel " + std::to_string(options_.loglevel) + "\n";
    if (!options_.tls_cert.empty())
      conf += "TLSCACertificateFile " + options_.tls_ca + "\nTLSCertificateFile " + options_.tls_cert +
              "\nTLSCertificateKeyFile " + options_.tls_key + "\n";
    conf += std::string("database mdb\nsuffix \"") + kSuffix + "\"\nrootdn \"" + kRootDn + "\"\nrootpw " +
            kRootPassword + "\ndirectory " + dir + "/db\nmaxsize 1073741824\n" +
            "index objectClass eq\nindex mailacceptinggeneralid eq,sub\n";
    conf_ = dir_->WriteFile("slapd.conf", conf);
    std::string ldif = std::string("dn: ") + kSuffix + "\nobjectClass: dcObject\nobjectClass: organization\n" +
                       "dc: example\no: Example\n\n" + Replace(options_.ldif, "@PORT@", std::to_string(port_));
    std::string ldif_path = dir_->WriteFile("data.ldif", ldif);
    CommandResult added = RunCommand({kSlapadd, "-q", "-f", conf_, "-l", ldif_path}, "", 300);
    if (added.exit_status != 0) {
      error_ = "slapadd failed: " + added.err;
      return false;
    }
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) port_ = FreeLoopbackPort();  // (the referral entry keeps the first port)
    // -d 0: stay in the foreground (a child we can stop by pid), log nothing.
    pid_ = SpawnServer({kSlapd, "-d", "0", "-f", conf_, "-h", url() + " " + ldapi_url()}, log_path_, RunAs());
    if (pid_ < 0) {
      error_ = "fork failed";
      return false;
    }
    auto ready = [&] {
      CommandResult r = RunCommand({"/usr/bin/ldapsearch", "-x", "-LLL", "-H", url(), "-b", kSuffix, "-s",
                                    "base", "1.1"}, "", 5);
      return r.exit_status == 0;
    };
    if (WaitUntilReady(pid_, ready, 10)) return true;
    Stop();
  }
  error_ = "slapd did not start: " + ReadLogTail(log_path_);
  return false;
}

void SlapdServer::Stop() {
  if (pid_ <= 0) return;
  Freeze(false);
  StopProcess(pid_, SIGTERM, 5);
  pid_ = -1;
}

SlapdServer* SharedSlapd(std::string* why) { return SharedServer<SlapdServer>(why, "Slapd", "ldap"); }

}  // namespace mctable::testutil
