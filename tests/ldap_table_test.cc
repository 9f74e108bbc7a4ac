// The ldap: table type against a real OpenLDAP slapd (testutil/slapd_server.h;
// one per test process, with the entries of DefaultLdif()):
//   LdapPostmapDiffWithSlapd  the same configurations and keys through
//       Debian's postmap (postfix-ldap 3.7.11) and mctable: stdout, exit
//       status, message severities and warning texts; `-q -` over every key,
//       then `-q KEY` for some; through a memcache table, also the entries
//       the cache fills wrote to memcached.
//   LdapTableWithSlapd  what is not a differential: -s refused, an ldap:
//       table as a domain list, start_tls with a test CA, a large batch.
//   LdapFaultWithSlapd  slapd down, frozen or stopped mid-batch, a wrong
//       password: each a clear error naming the table, within the timeout.
// Without slapd or postmap (postfix-ldap) the tests say so and skip.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "testutil/postmap_compare.h"
#include "testutil/slapd_server.h"
#include "testutil/table_util.h"
#include "testutil/test_pki.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::ExpectSameResults;
using testutil::Messages;
using testutil::SlapdServer;
using testutil::TempDir;

const char kPostfixLdap[] = "/usr/lib/postfix/postfix-ldap.so";

struct DiffCase {
  const char* name;
  const char* params;  // besides server_host
};

#define BASE "search_base = dc=example,dc=com\n"
#define SPECIAL BASE "special_result_attribute = memberdn, memberurl\n"

const DiffCase kCases[] = {
    {"plain", BASE},
    {"defaults_only", ""},  // empty search_base: the root DSE, a fixed base
    {"attribute_order", BASE "result_attribute = maildrop, mailacceptinggeneralid\n"},
    {"attribute_case", BASE "result_attribute = MailDrop\n"},
    {"special", SPECIAL},
    {"leaf", SPECIAL "result_attribute =\nleaf_result_attribute = maildrop\n"},
    {"terminal", SPECIAL "result_attribute = mailacceptinggeneralid\nterminal_result_attribute = maildrop\n"},
    {"recursion_limit", SPECIAL "recursion_limit = 1\n"},
    {"size_limit", BASE "size_limit = 2\n"},
    {"expansion_limit", BASE "expansion_limit = 2\n"},
    {"expansion_limit_no_size", BASE "expansion_limit = 2\nsize_limit = 0\n"},
    {"dynamic_base", "search_base = ou=%d,ou=domains,dc=example,dc=com\nquery_filter = (mailacceptinggeneralid=%u)\n"},
    {"static_missing_base", "search_base = ou=nowhere,dc=example,dc=com\n"},
    {"result_format", BASE "result_format = <%s|%u|%d|%S|%U|%D|%1|%%>\n"},
    {"result_filter", BASE "result_filter = smtp:[%d]\n"},
    {"labels", BASE "query_filter = (mailacceptinggeneralid=%u@%2.%1)\n"},
    {"unparenthesized", BASE "query_filter = mailacceptinggeneralid=%s\n"},
    {"domain_list", BASE "domain = example.com\n"},
    {"bad_filter", BASE "query_filter = (mailacceptinggeneralid=%s\n"},
    {"server_side_bad_filter", BASE "query_filter = (nosuchattribute~=%s)\n"},
    {"referral", "search_base = ou=elsewhere,dc=example,dc=com\n"},
    {"referral_loop", "search_base = ou=elsewhere,dc=example,dc=com\nchase_referrals = yes\n"},
    {"scope_one", "search_base = ou=people,dc=example,dc=com\nscope = one\n"},
    {"scope_base", "search_base = cn=alice,ou=people,dc=example,dc=com\nscope = base\n"},
    {"bind_none", BASE "bind = no\n"},
    {"bind_root", BASE "bind_dn = cn=admin,dc=example,dc=com\nbind_pw = admin-secret\n"},
    {"wrong_password", BASE "bind_dn = cn=admin,dc=example,dc=com\nbind_pw = wrong\n"},
    {"version_2_bind", BASE "version = 2\nbind_dn = cn=admin,dc=example,dc=com\nbind_pw = admin-secret\n"},
    {"version_2_no_bind", BASE "version = 2\nbind = no\n"},
};

const std::vector<std::string> kKeys = {
    "alice@example.com", "ALICE@Example.COM", "bob@example.com", "robert@example.com", "dup@example.com",
    "staff@example.com", "routed@example.com", "dynamic@example.com", "loop@example.com", "big@example.com",
    "novalue@example.com", "nobody@example.com", "a*b(c)\\d@example.com", "*@example.com", "alice*",
    "j\xc3\xb6rg@example.com", "carol@example.org", "carol@example.net", "@example.com", "alice@", "bob",
    "x@y@example.com", "raw\xe9@example.com",
    // Empty domain labels, which %1..%9 drop as Postfix's db_common does.
    "alice@example..com", "alice@.example.com..", "bob@..com", ""};

const std::vector<std::string> kSingleKeys = {"alice@example.com", "staff@example.com", "big@example.com",
                                              "carol@example.org", "nobody@example.com", "@example.com", ""};

std::string StdinOf(const std::vector<std::string>& keys) {
  std::string input;
  for (const std::string& key : keys) input += key + "\n";
  return input;
}

class LdapTest {
 protected:
  // Skips (with the reason) without slapd, mctable's ldap type or postmap.
  bool Prepare(bool need_postmap) {
    if (!testutil::HaveTableType("ldap")) {
      skip_ = "ldap is not built in (libldap2-dev missing at build time)";
      return false;
    }
    if (need_postmap && (!postmap_.available() || ::access(kPostfixLdap, F_OK) != 0)) {
      skip_ = "Debian postmap or postfix-ldap is not installed";
      return false;
    }
    slapd_ = testutil::SharedSlapd(&skip_);
    if (slapd_ == nullptr) return false;
    if (!slapd_->running() && !slapd_->Start()) {
      skip_ = slapd_->error();
      return false;
    }
    config_.WriteFile("main.cf", "");
    return true;
  }
  std::string Table(const std::string& file, const std::string& params, const std::string& server = "") {
    return "ldap:" + dir_.WriteFile(file, "server_host = " + (server.empty() ? slapd_->url() : server) + "\n" +
                                              params);
  }
  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "", double timeout = 60) {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv, input, timeout);
  }

  std::string skip_;
  SlapdServer* slapd_ = nullptr;
  testutil::Postmap postmap_;
  TempDir config_, dir_;
};

class LdapPostmapDiffWithSlapd : public LdapTest, public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!Prepare(true)) GTEST_SKIP() << skip_;
    case_ = kCases[GetParam()];
    table_ = Table("table.cf", case_.params);
  }

  DiffCase case_{};
  std::string table_;
};

TEST_P(LdapPostmapDiffWithSlapd, ByThemselves) {
  // Every run at the same time, each program's beside the other's: postmap
  // sleeps a second before exiting on a fatal error, and these mostly wait.
  std::vector<testutil::CommandSpec> runs;
  auto add = [&](std::vector<std::string> args, const std::string& input) {
    std::vector<std::string> ours = {testutil::MctableBinary(), "-c", config_.path()};
    ours.insert(ours.end(), args.begin(), args.end());
    runs.push_back({ours, input});
    runs.push_back({postmap_.Argv(args), input});
  };
  add({"-q", "-", table_}, StdinOf(kKeys));
  for (const std::string& key : kSingleKeys) add({"-q", key, table_}, "");
  std::vector<CommandResult> results = testutil::RunCommands(runs);
  ExpectSameResults(results[0], results[1], std::string(case_.name) + ": -q -");
  for (size_t i = 0; i < kSingleKeys.size(); ++i)
    ExpectSameResults(results[2 * i + 2], results[2 * i + 3],
                      std::string(case_.name) + ": -q " + PrintableBytes(kSingleKeys[i]));
}

// The memcache runs, for the cases where the cache fills can differ (the
// others differ only in what slapd answers: ByThemselves).
class LdapBackupDiffWithSlapd : public LdapPostmapDiffWithSlapd {};

TEST_P(LdapBackupDiffWithSlapd, AsMemcacheBackup) {
  const std::string name = case_.name;
  testutil::MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  std::string mc = "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                             "\nkey_format = k:%s\nttl = 900\nflags = 7\nbackup = " +
                                                             table_ + "\n");
  testutil::ExpectSameBackupRuns(
      memcached, postmap_, [&](std::vector<std::string> args, const std::string& input) { return Mctable(args, input); },
      mc, table_, kKeys, name);
}

std::string CaseName(const ::testing::TestParamInfo<int>& param_info) { return kCases[param_info.param].name; }

INSTANTIATE_TEST_SUITE_P(Cases, LdapPostmapDiffWithSlapd, ::testing::Range(0, static_cast<int>(std::size(kCases))),
                         CaseName);

std::vector<int> BackupCases() {
  std::vector<int> indices;
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i)
    for (const char* name : {"plain", "special", "expansion_limit", "dynamic_base", "result_format", "bad_filter",
                             "domain_list", "static_missing_base"})
      if (std::string(kCases[i].name) == name) indices.push_back(i);
  return indices;
}

INSTANTIATE_TEST_SUITE_P(Cases, LdapBackupDiffWithSlapd, ::testing::ValuesIn(BackupCases()), CaseName);

class LdapTableWithSlapd : public LdapTest, public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Prepare(false)) GTEST_SKIP() << skip_;
  }
};

TEST_F(LdapTableWithSlapd, SequenceRefusedAsPostfixRefusesIt) {
  std::string table = Table("s.cf", BASE);
  CommandResult ours = Mctable({"-s", table});
  EXPECT_EQ(ours.exit_status, 1) << ours.err;
  EXPECT_NE(ours.err.find("fatal:"), std::string::npos) << ours.err;
  if (postmap_.available() && ::access(kPostfixLdap, F_OK) == 0) {
    CommandResult theirs = postmap_.Run({"-s", table});
    EXPECT_EQ(ours.exit_status, theirs.exit_status) << theirs.err;
    EXPECT_EQ(Messages(ours.err), Messages(theirs.err)) << "postmap: " << theirs.err << "mctable: " << ours.err;
  }
}

// Writing modes: refused by both, with the same messages.
TEST_F(LdapTableWithSlapd, WriteModesRefused) {
  std::string table = Table("w.cf", BASE);
  struct Mode {
    std::vector<std::string> args;
    std::string input;
  } modes[] = {{{"-i", table}, "k v\n"}, {{"-d", "k", table}, ""}, {{"-d", "-", table}, "k\n"}, {{table}, ""}};
  for (const Mode& mode : modes) {
    CommandResult ours = Mctable(mode.args, mode.input);
    EXPECT_EQ(ours.exit_status, 1) << ours.err;
    EXPECT_NE(ours.err.find("fatal:"), std::string::npos) << ours.err;
    if (postmap_.available() && ::access(kPostfixLdap, F_OK) == 0) {
      CommandResult theirs = postmap_.Run(mode.args, mode.input);
      EXPECT_EQ(ours.exit_status, theirs.exit_status) << theirs.err;
      EXPECT_EQ(Messages(ours.err), Messages(theirs.err)) << "postmap: " << theirs.err << "mctable: " << ours.err;
    }
  }
}

// An ldap: table as the domain list of another table: only keys in a
// domain it finds are looked up.
TEST_F(LdapTableWithSlapd, AsDomainList) {
  std::string domains = Table("domains.cf", "search_base = ou=domains,dc=example,dc=com\nscope = one\n"
                                            "query_filter = (ou=%s)\nresult_attribute = ou\n");
  std::string table = Table("t.cf", BASE "domain = " + domains + "\n");
  CommandResult ours = Mctable({"-q", "-", table}, "alice@example.com\ncarol@example.org\n");
  // example.com is not under ou=domains: alice is not looked up.
  EXPECT_EQ(ours.out, "") << ours.err;
  std::string org = Table("o.cf", "search_base = dc=example,dc=com\nquery_filter = (mailacceptinggeneralid=%u)\n"
                                   "domain = " + domains + "\n");
  ours = Mctable({"-q", "-", org}, "carol@example.org\ncarol@example.net\n");
  EXPECT_EQ(ours.out, "carol@example.org\tcarol@mail.example.org\n") << ours.err;
  EXPECT_EQ(ours.exit_status, 0);
  if (postmap_.available() && ::access(kPostfixLdap, F_OK) == 0)
    ExpectSameResults(ours, postmap_.Run({"-q", "-", org}, "carol@example.org\ncarol@example.net\n"), "domain list");
}

TEST_F(LdapTableWithSlapd, StartTls) {
  testutil::TestPki pki;
  testutil::TestPki::Issued server;
  if (!pki.ok() || !pki.Issue("slapd", {}, &server)) GTEST_SKIP() << "cannot make a test CA: " << pki.error();
  SlapdServer::Options options{testutil::DefaultLdif()};
  options.tls_cert = server.cert;
  options.tls_key = server.key;
  options.tls_ca = pki.ca_file();
  SlapdServer tls(options);
  if (!tls.Start()) GTEST_SKIP() << "slapd with TLS: " << tls.error();
  // By address: libldap checks a "localhost" URL against the name the
  // address resolves back to, which need not be "localhost".
  std::string url = "ldap://127.0.0.1:" + std::to_string(tls.port()) + "/";
  std::string good = Table("tls.cf", BASE "start_tls = yes\ntls_require_cert = yes\ntls_ca_cert_file = " +
                                         pki.ca_file() + "\n", url);
  CommandResult ours = Mctable({"-q", "alice@example.com", good});
  EXPECT_EQ(ours.exit_status, 0) << ours.err;
  EXPECT_EQ(ours.out, "alice@mail.example.com,alice.two@mail.example.com\n");
  // A CA that did not issue the server's certificate: refused.
  testutil::TestPki other("other CA");
  std::string bad = Table("bad.cf", BASE "start_tls = yes\ntls_require_cert = yes\ntls_ca_cert_file = " +
                                        other.ca_file() + "\n", url);
  CommandResult refused = Mctable({"-q", "alice@example.com", bad});
  EXPECT_EQ(refused.exit_status, 1) << refused.err;
  EXPECT_NE(refused.err.find("Unable to set STARTTLS"), std::string::npos) << refused.err;
  if (postmap_.available() && ::access(kPostfixLdap, F_OK) == 0) {
    ExpectSameResults(ours, postmap_.Run({"-q", "alice@example.com", good}), "start_tls");
    CommandResult theirs = postmap_.Run({"-q", "alice@example.com", bad});
    EXPECT_EQ(refused.exit_status, theirs.exit_status) << theirs.err;
  }
}

// %1..%9 drop empty domain labels, as Postfix's db_common does: with
// %u@%2.%1, alice@example..com is looked up as alice@example.com.
TEST_F(LdapTableWithSlapd, EmptyDomainLabelsAreDropped) {
  std::string table = Table("labels.cf", BASE "query_filter = (mailacceptinggeneralid=%u@%2.%1)\n");
  CommandResult ours = Mctable({"-q", "alice@example..com", table});
  EXPECT_EQ(ours.exit_status, 0) << ours.err;
  EXPECT_EQ(ours.out, "alice@mail.example.com,alice.two@mail.example.com\n");
  CommandResult too_few = Mctable({"-q", "alice@..com", table});
  EXPECT_EQ(too_few.exit_status, 1) << too_few.err;
  EXPECT_EQ(too_few.out, "");
  if (postmap_.available() && ::access(kPostfixLdap, F_OK) == 0) {
    ExpectSameResults(ours, postmap_.Run({"-q", "alice@example..com", table}), "alice@example..com");
    ExpectSameResults(too_few, postmap_.Run({"-q", "alice@..com", table}), "alice@..com");
  }
}

// UTF-8 and non-UTF-8 keys and values with smtputf8_enable on and off,
// each through both programs with the same main.cf.
TEST_F(LdapTableWithSlapd, Utf8KeysFollowSmtputf8Enable) {
  if (!postmap_.available() || ::access(kPostfixLdap, F_OK) != 0)
    GTEST_SKIP() << "Debian postmap or postfix-ldap is not installed";
  std::string table = Table("utf8.cf", BASE);
  for (const char* setting : {"yes", "no"}) {
    // With smtputf8_enable = yes, a malformed key is refused with a warning
    // that prints its bytes (as \xHH here, "?" in Postfix: a project-wide
    // choice, docs/postfix-differences.md): compared with "no" only.
    std::string input = "j\xc3\xb6rg@example.com\nJ\xc3\x96RG@example.com\nALICE@example.com\n";
    if (std::string(setting) == "no") input += "raw\xe9@example.com\n";
    config_.WriteFile("main.cf", std::string("smtputf8_enable = ") + setting + "\n");
    CommandResult ours = Mctable({"-q", "-", table}, input);
    CommandResult theirs =
        testutil::RunCommand({testutil::PostmapBinary(), "-c", config_.path(), "-q", "-", table}, input);
    ExpectSameResults(ours, theirs, std::string("smtputf8_enable = ") + setting);
  }
}

// A batch much larger than the window: every answer in key order.
TEST_F(LdapTableWithSlapd, LargeBatchInKeyOrder) {
  std::string table = Table("big.cf", BASE);
  std::string input, expected;
  for (int i = 0; i < 3000; ++i) {
    const char* key = i % 3 == 0 ? "alice@example.com" : i % 3 == 1 ? "nobody@example.com" : "bob@example.com";
    input += std::string(key) + "\n";
    if (i % 3 == 0) expected += "alice@example.com\talice@mail.example.com,alice.two@mail.example.com\n";
    if (i % 3 == 2) expected += "bob@example.com\tbob@mail.example.com\n";
  }
  CommandResult ours = Mctable({"-q", "-", table}, input);
  EXPECT_EQ(ours.exit_status, 0) << ours.err;
  EXPECT_EQ(ours.out, expected);
}

class LdapFaultWithSlapd : public LdapTest, public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Prepare(false)) GTEST_SKIP() << skip_;
  }
  void TearDown() override {
    if (slapd_ != nullptr) {
      slapd_->Freeze(false);
      if (!slapd_->running()) {
        EXPECT_TRUE(slapd_->Start()) << slapd_->error();
      }
    }
  }
  std::string ManyKeys(int n) {
    std::string input;
    for (int i = 0; i < n; ++i) input += "user" + std::to_string(i) + "@example.com\n";
    return input;
  }
};

TEST_F(LdapFaultWithSlapd, ServerDown) {
  std::string table = Table("down.cf", BASE "timeout = 2\n", "ldap://127.0.0.1:" +
                                                                  std::to_string(testutil::FreeLoopbackPort()) + "/");
  auto start = std::chrono::steady_clock::now();
  CommandResult ours = Mctable({"-q", "-", table}, "alice@example.com\nbob@example.com\n");
  EXPECT_LT(testutil::SecondsSince(start), 10);
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find("Can't contact LDAP server"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find("fatal:"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find(table), std::string::npos) << "names the table: " << ours.err;
}

TEST_F(LdapFaultWithSlapd, WrongPassword) {
  std::string table = Table("pw.cf", BASE "bind_dn = cn=admin,dc=example,dc=com\nbind_pw = wrong\n");
  CommandResult ours = Mctable({"-q", "alice@example.com", table});
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find("Unable to bind to server"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find("Invalid credentials"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find(table), std::string::npos) << ours.err;
}

// slapd stalls (SIGSTOP) while a batch is outstanding: the batch ends
// with a temporary error within about two timeouts (the search, then the
// reconnect), not a hang.
TEST_F(LdapFaultWithSlapd, FrozenMidBatch) {
  std::string table = Table("frozen.cf", BASE "timeout = 1\n");
  std::thread freezer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    slapd_->Freeze(true);
  });
  auto start = std::chrono::steady_clock::now();
  CommandResult ours = Mctable({"-q", "-", table}, ManyKeys(200000), 60);
  double took = testutil::SecondsSince(start);
  freezer.join();
  slapd_->Freeze(false);
  EXPECT_EQ(ours.exit_status, 1) << ours.err;
  EXPECT_NE(ours.err.find("Timed out"), std::string::npos) << ours.err.substr(0, 2000);
  EXPECT_NE(ours.err.find(table), std::string::npos) << ours.err.substr(0, 2000);
  EXPECT_LT(took, 30) << "bounded by the timeouts";
}

// slapd killed while a batch is outstanding: the table reconnects once,
// fails, and reports it.
TEST_F(LdapFaultWithSlapd, StoppedMidBatch) {
  std::string table = Table("stopped.cf", BASE "timeout = 2\n");
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    slapd_->Stop();
  });
  auto start = std::chrono::steady_clock::now();
  CommandResult ours = Mctable({"-q", "-", table}, ManyKeys(200000), 60);
  double took = testutil::SecondsSince(start);
  stopper.join();
  EXPECT_EQ(ours.exit_status, 1) << ours.err.substr(0, 2000);
  EXPECT_NE(ours.err.find("Can't contact LDAP server"), std::string::npos) << ours.err.substr(0, 2000);
  EXPECT_NE(ours.err.find(table), std::string::npos) << ours.err.substr(0, 2000);
  EXPECT_LT(took, 30);
}

TEST_F(LdapFaultWithSlapd, ConfigurationErrorsNameTheTable) {
  struct Bad {
    const char* params;
    const char* message;
  } cases[] = {
      {"bind = sasl\n", "bind = sasl"},
      {"bind = maybe\n", "unsupported parameter value: bind = maybe"},
      {"version = 1\n", "version"},
      {"recursion_limit = 0\n", "recursion_limit"},
      {"query_filter = (x=%q)\n", "Invalid query template"},
      {"search_base = ou=%z\n", "Invalid query template"},
  };
  for (const Bad& bad : cases) {
    std::string table = Table("bad.cf", bad.params);
    CommandResult ours = Mctable({"-q", "alice@example.com", table});
    EXPECT_EQ(ours.exit_status, 1) << bad.params;
    EXPECT_NE(ours.err.find(bad.message), std::string::npos) << bad.params << ours.err;
    EXPECT_NE(ours.err.find(dir_.path() + "/bad.cf"), std::string::npos) << bad.params << ours.err;
  }
}

}  // namespace
}  // namespace mctable
