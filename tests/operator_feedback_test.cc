// What a new operator tripped over (issue 23), each against real servers:
// backup_fills under smtputf8_enable = yes, -i and -d on a memcache table
// whose backup is read-only (pgsql), warnings of a server that is down
// rate-limited and naming map and table, and mctabled's log at start,
// SIGUSR1 and SIGTERM and its statistics after a reload that drops a map.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testutil/mctabled_process.h"
#include "testutil/postgres_server.h"
#include "testutil/sql_database.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::CountOccurrences;
using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedServer;
using testutil::SocketmapRequest;
using testutil::TempDir;

// Waits up to 2 s for `what` in the daemon's log; returns the log.
std::string WaitForLog(const MctabledProcess& daemon, const std::string& what) {
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = daemon.log();
    if (log.find(what) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log;
}

class OperatorFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!memcached_.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached_.error();
    // Debian's main.cf says smtputf8_enable = yes.
    dir_.WriteFile("main.cf", "smtputf8_enable = yes\n");
    std::string backup = dir_.WriteFile("backup", "bob@example.com bob-v\ncarol@example.com carol-v\n");
    cf_ = dir_.WriteFile("mc.cf", "memcache = " + memcached_.endpoint() + "\nkey_format = k:%s\n"
                                  "max_try = 1\ntimeout = 1\nbackup = texthash:" + backup + "\n");
    socket_ = dir_.path() + "/sock";
    stats_ = dir_.path() + "/stats";
  }

  CommandResult Mctable(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv, input, 30);
  }

  void StartDaemon(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"-l", "socketmap:unix:" + socket_, "-l", "stats:unix:" + stats_,
                                     "-c", dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(daemon_.Start(args, "unix:" + socket_)) << daemon_.error();
  }

  std::string Stats() {
    LineClient stats("unix:" + stats_);
    return stats.ReadBytes(100000, 2);
  }

  TempDir dir_;
  MemcachedServer memcached_;
  MctabledProcess daemon_;
  std::string cf_, socket_, stats_;
};

TEST_F(OperatorFeedbackTest, BackupFillsAreCountedUnderSmtputf8) {
  CommandResult r = Mctable({"--stats", "-q", "-", "memcache:" + cf_},
                            "bob@example.com\ncarol@example.com\nnobody@example.com\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "bob@example.com\tbob-v\ncarol@example.com\tcarol-v\n");
  EXPECT_NE(r.err.find("lookups=3 hits=2 misses=1 errors=0 backup_fills=2 "), std::string::npos) << r.err;

  StartDaemon({"-m", "aliases=memcache:" + cf_});
  memcached_.RawCommand("flush_all\r\n", "OK\r\n");
  LineClient client("unix:" + socket_);
  for (const char* key : {"bob@example.com", "carol@example.com", "bob@example.com"}) {
    ASSERT_TRUE(client.Send(SocketmapRequest("aliases", key)));
    EXPECT_EQ(client.ReadNetstring().substr(0, 3), "OK ");
  }
  std::string stats = Stats();
  EXPECT_NE(stats.find("map aliases: lookups=3 hits=3 misses=0 errors=0 backup_fills=2 "), std::string::npos)
      << stats;
}

TEST_F(OperatorFeedbackTest, DaemonLogsStartStopAndStatsOnce) {
  StartDaemon({"-m", "aliases=memcache:" + cf_, "-m", "fixed=static:x"});
  std::string log = WaitForLog(daemon_, "started");
  EXPECT_NE(log.find("mctabled: started (pid " + std::to_string(daemon_.pid()) + "): listeners: socketmap:unix:" +
                     socket_ + ", stats:unix:" + stats_ + "; maps: aliases=memcache:" + cf_ + ", fixed=static:x\n"),
            std::string::npos)
      << log;
  daemon_.Signal(SIGUSR1);
  log = WaitForLog(daemon_, "uptime_seconds=");
  EXPECT_NE(log.find("\nmctabled: uptime_seconds="), std::string::npos) << log;
  EXPECT_EQ(log.find("mctabled: mctabled:"), std::string::npos) << "doubled prefix: " << log;
  EXPECT_EQ(daemon_.Stop(), 0);
  log = daemon_.log();
  EXPECT_NE(log.find("mctabled: stopping on SIGTERM\n"), std::string::npos) << log;
  EXPECT_NE(log.find("mctabled: stopped\n"), std::string::npos) << log;
}

TEST_F(OperatorFeedbackTest, ReloadThatRemovesAMapDropsItsStatistics) {
  std::string conf = dir_.WriteFile("d.conf", "map kept=static:k\nmap dropped=static:d\n");
  StartDaemon({"-f", conf});
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("dropped", "x")));
  EXPECT_EQ(client.ReadNetstring(), "OK d");
  EXPECT_NE(Stats().find("map dropped: lookups=1"), std::string::npos);
  dir_.WriteFile("d.conf", "map kept=static:k\n");
  daemon_.Signal(SIGHUP);
  WaitForLog(daemon_, "reloaded");
  std::string stats;
  for (int i = 0; i < 100; ++i) {
    stats = Stats();
    if (stats.find("map dropped") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(stats.find("map dropped"), std::string::npos) << stats;
  EXPECT_NE(stats.find("map kept: lookups=0"), std::string::npos) << stats;
  ASSERT_TRUE(client.Send(SocketmapRequest("dropped", "x")));
  EXPECT_EQ(client.ReadNetstring().substr(0, 4), "PERM");
}

TEST_F(OperatorFeedbackTest, ServerDownWarnsOncePerServerNamingMapAndTable) {
  std::string down = dir_.WriteFile("down.cf", "memcache = inet:127.0.0.1:" +
                                                   std::to_string(testutil::FreeLoopbackPort()) +
                                                   "\nmax_try = 1\ntimeout = 1\n");
  StartDaemon({"-m", "users=memcache:" + down});
  LineClient client("unix:" + socket_);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(client.Send(SocketmapRequest("users", "u" + std::to_string(i))));
    ASSERT_EQ(client.ReadNetstring().substr(0, 4), "TEMP");
  }
  std::string log = daemon_.log();
  EXPECT_EQ(CountOccurrences(log, "Connection refused"), 1) << log;
  EXPECT_NE(log.find("mctabled: warning: map users: database memcache:" + down + ": connect to 127.0.0.1:"),
            std::string::npos)
      << log;
  EXPECT_EQ(daemon_.Stop(), 0);
  log = daemon_.log();
  EXPECT_NE(log.find("mctabled: warning: map users: database memcache:" + down + ": connect to 127.0.0.1:"),
            std::string::npos);
  EXPECT_NE(log.find(": Connection refused (and 299 more like it in the last "), std::string::npos)
      << "the count held back is logged when the table closes: " << log;
}

// A memcache table in front of PostgreSQL, which cannot be written.
class ReadOnlyBackupTest : public OperatorFeedbackTest {
 protected:
  void SetUp() override {
    OperatorFeedbackTest::SetUp();
    if (IsSkipped()) return;
    std::string why;
    bool unavailable = false;
    db_ = testutil::SqlTestDatabase::Open("pgsql", &why, &unavailable);
    if (!db_ && unavailable) GTEST_SKIP() << why;
    ASSERT_TRUE(db_) << why;
    std::string error;
    ASSERT_TRUE(db_->Exec("DROP TABLE IF EXISTS stale; CREATE TABLE stale (k VARCHAR(255), v VARCHAR(255));"
                          "INSERT INTO stale VALUES ('alice@example.com', 'old');"
                          "GRANT SELECT ON stale TO pf;",
                          &error))
        << error;
    pgsql_ = db_->WriteTable(dir_, "pg.cf", "query = SELECT v FROM stale WHERE k='%s'\n");
    mc_ = "memcache:" + dir_.WriteFile("pgmc.cf", "memcache = " + memcached_.endpoint() +
                                                     "\nkey_format = pg:%s\nbackup = " + pgsql_ + "\n");
  }

  std::unique_ptr<testutil::SqlTestDatabase> db_;
  std::string pgsql_, mc_;
};

TEST_F(ReadOnlyBackupTest, IncrementalLoadNamesTheReadOnlyBackup) {
  CommandResult r = Mctable({"-i", mc_}, "alice@example.com new\n");
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err.rfind("mctable: fatal: table " + mc_ + ": cannot update: its backup " + pgsql_ +
                            " is read-only (" + pgsql_ + " map requires O_RDONLY access mode)",
                        0),
            0u)
      << "was: unsupported map type for this operation: memcache: " << r.err;
  EXPECT_EQ(CountOccurrences(r.err, "\n"), 1) << r.err;
}

TEST_F(ReadOnlyBackupTest, DeleteRemovesAStaleCacheEntryAndLeavesTheBackupAlone) {
  CommandResult r = Mctable({"-q", "alice@example.com", mc_});
  EXPECT_EQ(r.out, "old\n") << r.err;
  std::string error;
  ASSERT_TRUE(db_->Exec("UPDATE stale SET v = 'new' WHERE k = 'alice@example.com';", &error)) << error;
  EXPECT_EQ(Mctable({"-q", "alice@example.com", mc_}).out, "old\n") << "cached until its ttl";
  r = Mctable({"-d", "alice@example.com", mc_});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.err, "mctable: warning: table " + mc_ + ": backup " + pgsql_ +
                       " is read-only and was left alone: only memcached entries are deleted, and the next "
                       "lookup of such a key reads the backup again\n");
  bool found = true;
  memcached_.Get("pg:alice@example.com", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(Mctable({"-q", "alice@example.com", mc_}).out, "new\n");
  // Nothing cached: nothing deleted, exit 1, as postmap -d for a missing key.
  memcached_.RawCommand("flush_all\r\n", "OK\r\n");
  r = Mctable({"-d", "-", mc_}, "alice@example.com\nbob@example.com\n");
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_EQ(CountOccurrences(r.err, "left alone"), 1) << "one warning per table: " << r.err;
}

// mctable_pgsql(5): a UNIX-domain socket on a port other than 5432 is
// reached only through the URI form (the test server listens on a free
// port); a failure names the table once.
TEST(PgsqlUnixSocketTest, OtherPortNeedsTheUriForm) {
  std::string why;
  bool unavailable = false;
  auto db = testutil::SqlTestDatabase::Open("pgsql", &why, &unavailable);
  if (!db && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  testutil::PostgresServer* server = testutil::SharedPostgres(&why);
  ASSERT_NE(server, nullptr) << why;
  ASSERT_NE(server->port(), 5432);
  TempDir dir;
  dir.WriteFile("main.cf", "");
  const std::string port = std::to_string(server->port());
  const std::string query = "dbname = mctable\nquery = SELECT v FROM aliases WHERE k='%s'\n";
  std::string with_port = "pgsql:" + dir.WriteFile("port.cf", "hosts = unix:" + server->socket_dir() + ":" +
                                                                  port + "\nuser = pf\npassword = secret\n" + query);
  std::string uri = "pgsql:" + dir.WriteFile("uri.cf", "hosts = postgresql://pf:secret@/mctable?host=" +
                                                          server->socket_dir() + "&port=" + port + "\n" + query);
  auto run = [&](const std::string& table) {
    return testutil::RunCommand({testutil::MctableBinary(), "-c", dir.path(), "-q", "alice@example.com", table});
  };
  CommandResult r = run(with_port);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("fatal: table " + with_port + ": query error: "), std::string::npos) << r.err;
  EXPECT_EQ(CountOccurrences(r.err.substr(r.err.find("fatal:")), with_port), 1) << "named once: " << r.err;
  testutil::Postmap postmap;
  if (postmap.available() && ::access("/usr/lib/postfix/postfix-pgsql.so", F_OK) == 0) {
    CommandResult theirs = postmap.Run({"-q", "alice@example.com", with_port});
    EXPECT_EQ(theirs.exit_status, 1) << "postmap fails too: " << theirs.err;
  }
  r = run(uri);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "alice-v\n");
}

}  // namespace
}  // namespace mctable
