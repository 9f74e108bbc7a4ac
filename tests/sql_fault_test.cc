// The network SQL tables (pgsql:, mysql:) when the database fails: a
// server that is down, that stops in the middle of a batch (directly, from
// the command line, and behind memcache), that stalls (a real server
// frozen with SIGSTOP; a fake one that never answers the handshake), a
// second server to fail over to, a wrong password, and a configuration
// file the process may not read.  Where Postfix can be run on the same
// case, postmap is run too and both must agree.
//
// What must hold in every case: a clear error naming the table, no crash,
// no wait past the configured timeouts, no answer the database did not
// give, and nothing cached in memcached that the database did not say.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/timer_clock.h"
#include "mctable/table.h"
#include "testutil/fault_server.h"
#include "testutil/mariadb_server.h"
#include "testutil/postgres_server.h"
#include "testutil/postmap_compare.h"
#include "testutil/sql_database.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::CommandResult;
using testutil::SqlTestDatabase;
using testutil::TempDir;

using Clock = std::chrono::steady_clock;

using testutil::SecondsSince;

// A server of the parameter's type owned by the test, holding the test
// data and the 20,000-row table "big20000".
class OwnServer {
 public:
  explicit OwnServer(const std::string& type) : type_(type) {}
  bool Start(std::string* error) {
    if (type_ == "pgsql") {
      postgres_ = std::make_unique<testutil::PostgresServer>();
      if (!postgres_->Start()) return Fail(postgres_->error(), error);
      db_ = SqlTestDatabase::OnServer(postgres_.get(), error);
    } else {
      mariadb_ = std::make_unique<testutil::MariadbServer>();
      if (!mariadb_->Start()) return Fail(mariadb_->error(), error);
      db_ = SqlTestDatabase::OnServer(mariadb_.get(), error);
    }
    std::string big;
    return db_ != nullptr && db_->EnsureBigTable(20000, &big, error);
  }
  bool Restart() { return postgres_ ? postgres_->Start() : mariadb_->Start(); }
  void Stop() { postgres_ ? postgres_->Stop() : mariadb_->Stop(); }
  void Freeze(bool frozen) { postgres_ ? postgres_->Freeze(frozen) : mariadb_->Freeze(frozen); }
  SqlTestDatabase* db() { return db_.get(); }

 private:
  static bool Fail(const std::string& why, std::string* error) {
    *error = why;
    return false;
  }
  std::string type_;
  std::unique_ptr<testutil::PostgresServer> postgres_;
  std::unique_ptr<testutil::MariadbServer> mariadb_;
  std::unique_ptr<SqlTestDatabase> db_;
};

std::string BigKey(int i) { return "user" + std::to_string(i) + "@example" + std::to_string(i % 97) + ".com"; }
std::string BigValue(int i) { return "value-" + std::to_string(i); }

class SqlFaultTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    type_ = GetParam();
    if (!testutil::HaveTableType(type_)) GTEST_SKIP() << type_ << " is not built in";
    config_.WriteFile("main.cf", "");
  }
  // A server of our own; skips when the server cannot run at all.
  std::unique_ptr<OwnServer> StartOwnServer() {
    auto server = std::make_unique<OwnServer>(type_);
    std::string error;
    if (!server->Start(&error)) {
      ADD_FAILURE() << "cannot start a " << type_ << " server with the test data: " << error;
      return nullptr;
    }
    return server;
  }
  std::string Table(const std::string& connection, const std::string& params, const std::string& file = "t.cf") {
    return type_ + ":" + dir_.WriteFile(file, connection + params);
  }
  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv, input);
  }
  bool PostfixCanRun() const {
    return postmap_.available() && ::access(("/usr/lib/postfix/postfix-" + type_ + ".so").c_str(), F_OK) == 0;
  }

  std::string type_;
  TempDir config_, dir_;
  testutil::Postmap postmap_;
};

TEST_P(SqlFaultTest, ServerDownIsAnErrorLikePostfix) {
  std::string hosts = "inet:127.0.0.1:" + std::to_string(testutil::FreeLoopbackPort());
  std::string table = Table(testutil::SqlConnectionTo(hosts), "query = SELECT v FROM aliases WHERE k='%s'\n");
  CommandResult ours = Mctable({"-q", "alice@example.com", table});
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find("warning: connect to " + type_ + " server " + hosts + ": "), std::string::npos) << ours.err;
  // The table is named once (it was "query error: " + table + ": connect to").
  EXPECT_NE(ours.err.find("fatal: table " + table + ": query error: connect to"), std::string::npos)
      << ours.err;
  testutil::MemcachedServer memcached;
  ASSERT_TRUE(memcached.Start()) << memcached.error();
  std::string mc = "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                             "\nkey_format = k:%s\nbackup = " + table + "\n");
  if (PostfixCanRun()) {
    testutil::ExpectSameResults(ours, postmap_.Run({"-q", "alice@example.com", table}), "-q KEY, server down");
    std::string keys = "alice@example.com\nbob\n";
    testutil::ExpectSameResults(Mctable({"-q", "-", table}, keys), postmap_.Run({"-q", "-", table}, keys),
                                "-q -, server down");
    testutil::ExpectSameResults(Mctable({"-q", "-", mc}, keys), postmap_.Run({"-q", "-", mc}, keys),
                                "memcache backup, server down");
  }
  // The library: a temporary error naming the table; nothing cached.
  auto direct = testutil::OpenOrDie(table);
  CapturedWarnings warnings;
  std::string value = "untouched";
  Status s = direct->Lookup("alice@example.com", &value);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(value, "untouched");
  EXPECT_NE(s.message().find(table), std::string::npos) << s.message();
  auto cached = testutil::OpenOrDie(mc);
  EXPECT_TRUE(cached->Lookup("bob", &value).IsTempError());
  bool found = true;
  memcached.Get("k:bob", &found);
  EXPECT_FALSE(found) << "nothing is cached that the database did not say";
}

TEST_P(SqlFaultTest, FailedServerIsRetriedAfterRetryInterval) {
  auto server = StartOwnServer();
  if (!server) return;
  auto table = testutil::OpenOrDie(server->db()->WriteTable(
      dir_, "retry.cf", "query = SELECT v FROM aliases WHERE k='%s'\nretry_interval = 60\n"));
  ASSERT_TRUE(table);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  server->Stop();
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(table->Lookup("alice@example.com", &value).IsTempError());
  size_t after_failure = warnings.lines().size();
  EXPECT_GE(after_failure, 1u) << "the failure is logged";
  ASSERT_TRUE(server->Restart());
  // Within retry_interval the failed server is not tried: no new attempt,
  // no new warning, still an error (Postfix's rule).
  Status again = table->Lookup("alice@example.com", &value);
  EXPECT_TRUE(again.IsTempError()) << again.ToString();
  EXPECT_NE(again.message().find("retry_interval"), std::string::npos) << again.message();
  EXPECT_EQ(warnings.lines().size(), after_failure) << warnings.joined();
  // The table's timers run on TimerWallSeconds: a minute passes at once
  // (and a slow restart cannot end retry_interval early).
  AdvanceTimerClocksForTesting(std::chrono::seconds(61));
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
}

// Runs LookupMany over `keys` while the server is killed after `delay`;
// every answer must be the database's or a temporary error.
void ExpectOnlyTrueAnswers(const std::vector<std::string>& keys, const std::vector<LookupResult>& results,
                           const std::map<std::string, std::string>& truth, size_t* answered) {
  ASSERT_EQ(results.size(), keys.size());
  *answered = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const LookupResult& r = results[i];
    auto it = truth.find(keys[i]);
    if (r.status.ok()) {
      ASSERT_TRUE(it != truth.end()) << keys[i] << " answered " << r.value;
      ASSERT_EQ(r.value, it->second) << keys[i];
      ++*answered;
    } else if (r.status.IsNotFound()) {
      ASSERT_TRUE(it == truth.end()) << keys[i] << " is in the database, not \"not found\"";
    } else {
      ASSERT_TRUE(r.status.IsTempError()) << keys[i] << ": " << r.status.ToString();
    }
  }
}

TEST_P(SqlFaultTest, ServerStopsInTheMiddleOfABatch) {
  auto server = StartOwnServer();
  if (!server) return;
  testutil::MemcachedServer memcached;
  ASSERT_TRUE(memcached.Start()) << memcached.error();
  std::string backup = server->db()->WriteTable(dir_, "big.cf", "query = SELECT v FROM big20000 WHERE k='%s'\n");
  std::string mc = "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                             "\nkey_format = k:%s\nbackup = " + backup + "\n");
  std::vector<std::string> keys;
  std::map<std::string, std::string> truth;
  for (int i = 0; i < 30000; ++i) {
    keys.push_back(BigKey(i));
    if (i < 20000) truth[BigKey(i)] = BigValue(i);
  }
  for (const std::string& name : {backup, mc}) {
    SCOPED_TRACE(name);
    auto table = testutil::OpenOrDie(name);
    ASSERT_TRUE(table);
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), BigKey(7)), BigValue(7));  // connected
    std::vector<LookupResult> results;
    CapturedWarnings warnings;
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      server->Stop();
    });
    Clock::time_point start = Clock::now();
    table->LookupMany(keys, &results);
    killer.join();
    EXPECT_LT(SecondsSince(start), 30.0);
    size_t answered = 0;
    ExpectOnlyTrueAnswers(keys, results, truth, &answered);
    EXPECT_LT(answered, truth.size()) << "the server was stopped before the batch ended";
    ASSERT_TRUE(server->Restart());
  }
  // Every entry the cache fills wrote is the database's value.
  for (int i = 0; i < 30000; i += 7) {
    bool found = false;
    std::string cached = memcached.Get("k:" + BigKey(i), &found);
    if (found) {
      EXPECT_EQ(cached, BigValue(i)) << BigKey(i);
    }
  }
}

TEST_P(SqlFaultTest, ServerStopsDuringACommandLikePostfix) {
  auto server = StartOwnServer();
  if (!server) return;
  // A query that takes a millisecond on the server, so that both programs
  // are in the middle of the batch when the server stops.
  std::string slow = type_ == "pgsql" ? "query = SELECT v FROM big20000 WHERE k='%s' AND pg_sleep(0.001)::text = ''\n"
                                      : "query = SELECT v FROM big20000 WHERE k='%s' AND SLEEP(0.001) = 0\n";
  std::string table = server->db()->WriteTable(dir_, "slow.cf", slow);
  std::string input, expected;
  for (int i = 0; i < 6000; ++i) {
    input += BigKey(i) + "\n";
    expected += BigKey(i) + "\t" + BigValue(i) + "\n";
  }
  std::vector<std::vector<std::string>> programs = {{testutil::MctableBinary(), "-c", config_.path()}};
  if (PostfixCanRun()) programs.push_back({testutil::PostmapBinary(), "-c", config_.path()});
  for (std::vector<std::string> argv : programs) {
    SCOPED_TRACE(argv[0]);
    argv.insert(argv.end(), {"-q", "-", table});
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      server->Stop();
    });
    CommandResult r = testutil::RunCommand(argv, input, 120);
    killer.join();
    EXPECT_EQ(r.exit_status, 1) << r.err;
    EXPECT_EQ(expected.compare(0, r.out.size(), r.out), 0) << "only true answers, in order";
    EXPECT_GT(r.out.size(), 0u) << r.err;
    EXPECT_LT(r.out.size(), expected.size());
    std::vector<std::string> messages = testutil::Messages(r.err);
    ASSERT_FALSE(messages.empty());
    EXPECT_EQ(messages.back(), "fatal") << r.err;
    ASSERT_TRUE(server->Restart());
  }
}

TEST_P(SqlFaultTest, ConnectStallIsBoundedByConnectTimeout) {
  // A fake server that accepts and never says a word (PostgreSQL waits for
  // the client's startup packet, then answers; MySQL greets first).
  testutil::FaultServer fake;
  ASSERT_TRUE(fake.ok());
  fake.Script(testutil::FaultAction::Silent(), 10);
  std::string table = Table(testutil::SqlConnectionTo("inet:127.0.0.1:" + std::to_string(fake.port())),
                            "query = SELECT v FROM aliases WHERE k='%s'\nconnect_timeout = 1\nquery_timeout = 1\n");
  Clock::time_point start = Clock::now();
  CommandResult r = Mctable({"-q", "alice@example.com", table});
  double took = SecondsSince(start);
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("fatal: table " + table + ": query error: "), std::string::npos) << r.err;
  EXPECT_LT(took, 4.0) << r.err;
  EXPECT_GE(took, 0.9) << r.err;
  // Postfix 3.7 has no bound: postmap is still waiting when killed
  // (docs/postfix-differences.md).
  if (PostfixCanRun()) {
    CommandResult theirs = testutil::RunCommand(
        {testutil::PostmapBinary(), "-c", config_.path(), "-q", "alice@example.com", table}, "", 4);
    EXPECT_EQ(theirs.exit_status, 128 + SIGKILL) << "postmap returned: " << theirs.err;
  }
}

TEST_P(SqlFaultTest, QueryStallIsBoundedByQueryTimeout) {
  auto server = StartOwnServer();
  if (!server) return;
  auto table = testutil::OpenOrDie(server->db()->WriteTable(
      dir_, "stall.cf", "query = SELECT v FROM big20000 WHERE k='%s'\nconnect_timeout = 1\nquery_timeout = 1\n"));
  ASSERT_TRUE(table);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), BigKey(1)), BigValue(1));
  server->Freeze(true);
  CapturedWarnings warnings;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(BigKey(i));
  std::vector<LookupResult> results;
  Clock::time_point start = Clock::now();
  table->LookupMany(keys, &results);
  double took = SecondsSince(start);
  server->Freeze(false);
  EXPECT_LT(took, 5.0);
  for (const LookupResult& r : results) ASSERT_TRUE(r.status.IsTempError()) << r.status.ToString();
  EXPECT_NE(results[0].status.message().find(table->full_name()), std::string::npos) << results[0].status.message();
  EXPECT_FALSE(warnings.lines().empty());
}

TEST_P(SqlFaultTest, FailsOverToTheNextServer) {
  std::string why;
  bool unavailable = false;
  auto db = SqlTestDatabase::Open(type_, &why, &unavailable);
  if (db == nullptr && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  // A dead server and the live one, in both orders: every lookup is
  // answered, and the dead one costs one warning per retry_interval.
  std::string live = db->connection().substr(0, db->connection().find('\n'));  // "hosts = inet:..."
  std::string dead = "inet:127.0.0.1:" + std::to_string(testutil::FreeLoopbackPort());
  for (const std::string& hosts : {dead + " " + live.substr(8), live.substr(8) + ", " + dead}) {
    SCOPED_TRACE(hosts);
    std::string table = Table(testutil::SqlConnectionTo(hosts), "query = SELECT v FROM aliases WHERE k='%s'\n");
    CommandResult r = Mctable({"-q", "-", table}, "alice@example.com\nbob\nO'Brien@example.com\nnobody\n");
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, "alice@example.com\talice-v\nbob\tbob-v\nO'Brien@example.com\tobrien-v\n");
    EXPECT_LE(testutil::SplitLines(r.err).size(), 1u) << r.err;
  }
}

TEST_P(SqlFaultTest, HostForms) {
  // The forms of "hosts" Postfix accepts besides inet:host:port, against
  // the shared server: a UNIX-domain socket, and (pgsql) a connection URI.
  std::string why;
  bool unavailable = false;
  auto db = SqlTestDatabase::Open(type_, &why, &unavailable);
  if (db == nullptr && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  std::vector<std::string> forms;
  if (type_ == "pgsql") {
    testutil::PostgresServer* server = testutil::SharedPostgres(&why);
    ASSERT_TRUE(server) << why;
    // A socket directory takes libpq's port, which PGPORT sets.
    ::setenv("PGPORT", std::to_string(server->port()).c_str(), 1);
    forms = {"unix:" + server->socket_dir(), server->socket_dir(),
             "postgresql://pf:secret@127.0.0.1:" + std::to_string(server->port()) + "/mctable",
             "127.0.0.1:" + std::to_string(server->port())};
  } else {
    testutil::MariadbServer* server = testutil::SharedMariadb(&why);
    ASSERT_TRUE(server) << why;
    forms = {"unix:" + server->socket_path(), "127.0.0.1:" + std::to_string(server->port())};
  }
  for (const std::string& hosts : forms) {
    SCOPED_TRACE(hosts);
    // For a URI the table's own user, password and dbname are not used.
    std::string connection = hosts.rfind("postgresql:", 0) == 0
                                 ? "hosts = " + hosts + "\nuser = nobody\npassword = x\ndbname = none\n"
                                 : testutil::SqlConnectionTo(hosts);
    auto table = testutil::OpenOrDie(Table(connection, "query = SELECT v FROM aliases WHERE k='%s'\n"));
    ASSERT_TRUE(table);
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), "O'Brien@example.com"), "obrien-v");
  }
  ::unsetenv("PGPORT");
}

TEST_P(SqlFaultTest, WrongPasswordLikePostfix) {
  std::string why;
  bool unavailable = false;
  auto db = SqlTestDatabase::Open(type_, &why, &unavailable);
  if (db == nullptr && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  std::string hosts = db->connection().substr(8, db->connection().find('\n') - 8);
  std::string table = Table(testutil::SqlConnectionTo(hosts, "wrong"), "query = SELECT v FROM aliases WHERE k='%s'\n");
  CommandResult ours = Mctable({"-q", "alice@example.com", table});
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find(type_ == "pgsql" ? "password authentication failed" : "Access denied"), std::string::npos)
      << ours.err;
  if (PostfixCanRun())
    testutil::ExpectSameResults(ours, postmap_.Run({"-q", "alice@example.com", table}), "wrong password");
}

TEST_P(SqlFaultTest, UnreadableConfigurationLikePostfix) {
  // The table's file holds the password; mode 0600, root's.  Run as nobody.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the programs as another user";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
  ASSERT_EQ(::chmod(config_.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  std::string path = dir_.WriteFile("secret.cf", testutil::SqlConnectionTo("inet:127.0.0.1:1") +
                                                     "query = SELECT v FROM aliases WHERE k='%s'\n");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  std::vector<std::string> as_nobody = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  auto run = [&](const std::string& binary) {
    std::vector<std::string> argv = as_nobody;
    argv.insert(argv.end(), {binary, "-c", config_.path(), "-q", "alice@example.com", type_ + ":" + path});
    return testutil::RunCommand(argv);
  };
  CommandResult ours = run(testutil::MctableBinary());
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_EQ(ours.err, "mctable: fatal: open " + path + ": Permission denied\n");
  if (PostfixCanRun()) {
    CommandResult theirs = run(testutil::PostmapBinary());
    EXPECT_EQ(theirs.exit_status, 1);
    EXPECT_EQ(theirs.err, "postmap: fatal: open " + path + ": Permission denied\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Types, SqlFaultTest, ::testing::Values("pgsql", "mysql"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mctable
