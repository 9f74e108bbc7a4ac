// mctable --warm and --audit [--repair] against a real memcached and an
// lmdb backup (and a pgsql backup, which cannot be walked: its keys come
// from stdin): every backup entry stored exactly as a lookup's cache fill
// stores it (key_format, domain, flags, signing), stale, missing and forged
// entries found and repaired, a server that is down, and a --warm stopped
// by SIGINT that says how far it got and loses nothing.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "testutil/child_process.h"
#include "testutil/sql_database.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string Key(int i) { return "user" + std::to_string(i) + "@example.com"; }
std::string Value(int i) { return "box" + std::to_string(i); }

class CacheWarmAuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new MemcachedServer();
    if (!server_->Start()) start_error_ = server_->error();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!start_error_.empty()) GTEST_SKIP() << "cannot run memcached: " << start_error_;
    server_->RawCommand("flush_all\r\n", "OK\r\n");
    dir_.WriteFile("main.cf", "");
  }

  // An lmdb backup of `count` entries, plus one key outside the domain.
  void BuildBackup(int count) {
    std::string source;
    for (int i = 0; i < count; ++i) source += Key(i) + " " + Value(i) + "\n";
    source += "stranger@other.example stranger-box\n";
    backup_ = "lmdb:" + dir_.WriteFile("backup", source);
    CommandResult r = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), backup_});
    ASSERT_EQ(r.exit_status, 0) << r.err;
  }

  std::string Table(const std::string& extra = "", const std::string& servers = "") {
    return "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + (servers.empty() ? server_->endpoint() : servers) +
                                                     "\nkey_format = wa:%s\nflags = 7\nttl = 600\n"
                                                     "domain = example.com\nbackup = " +
                                                     backup_ + "\n" + extra);
  }

  CommandResult Mctable(std::vector<std::string> args) {
    args.insert(args.begin(), {testutil::MctableBinary(), "-c", dir_.path()});
    return RunCommand(args);
  }

  static MemcachedServer* server_;
  static std::string start_error_;
  TempDir dir_;
  std::string backup_;
};

MemcachedServer* CacheWarmAuditTest::server_ = nullptr;
std::string CacheWarmAuditTest::start_error_;

TEST_F(CacheWarmAuditTest, WarmStoresWhatALookupFillStores) {
  BuildBackup(10000);  // more than two of the command's batches
  std::string table = Table();
  CommandResult r = Mctable({"--warm", table});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--warm: 10001 backup entries: 10000 stored, 1 skipped"), std::string::npos) << r.err;
  for (int i : {0, 4095, 4096, 9999}) {
    bool found = false;
    unsigned flags = 0;
    EXPECT_EQ(server_->Get("wa:" + Key(i), &found, &flags), Value(i));
    EXPECT_TRUE(found) << Key(i);
    EXPECT_EQ(flags, 7u);
  }
  bool found = true;
  server_->Get("wa:stranger@other.example", &found);
  EXPECT_FALSE(found) << "a key outside the domain list is never cached by a lookup";

  // Byte for byte what a lookup's fill writes.
  std::string warmed = server_->RawCommand("get wa:" + Key(17) + "\r\n", "END\r\n");
  server_->RawCommand("delete wa:" + Key(17) + "\r\n", "\r\n");
  ASSERT_EQ(Mctable({"-q", Key(17), table}).out, Value(17) + "\n");
  EXPECT_EQ(server_->RawCommand("get wa:" + Key(17) + "\r\n", "END\r\n"), warmed);
}

TEST_F(CacheWarmAuditTest, WarmedSignedEntriesAreReadWithoutTheBackup) {
  BuildBackup(50);
  std::string key_file = dir_.WriteFile("sign.key", std::string(64, 'a') + "\n");
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
  std::string signing = "value_signing_key_file = " + key_file + "\n";
  CommandResult r = Mctable({"--warm", Table(signing)});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  bool found = false;
  std::string raw = server_->Get("wa:" + Key(3), &found);
  ASSERT_TRUE(found);
  EXPECT_EQ(raw.rfind("MCS2 ", 0), 0u) << raw;
  // The same table without a backup answers from memcached alone: the
  // warmed value carries a valid signature.
  std::string cache_only = "memcache:" + dir_.WriteFile("cache-only.cf", "memcache = " + server_->endpoint() +
                                                            "\nkey_format = wa:%s\ndomain = example.com\n" +
                                                            signing);
  r = Mctable({"-q", Key(3), cache_only});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, Value(3) + "\n");

  // A value another client wrote without the key is unreadable to --audit.
  server_->Set("wa:" + Key(4), "forged");
  r = Mctable({"--audit", Table(signing)});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("49 same, 0 missing, 0 stale, 1 unreadable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(Key(4)), std::string::npos) << r.err;
}

TEST_F(CacheWarmAuditTest, AuditFindsStaleAndMissingAndRepairFixesThem) {
  BuildBackup(100);
  std::string table = Table();
  ASSERT_EQ(Mctable({"--warm", table}).exit_status, 0);
  CommandResult r = Mctable({"--audit", table});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("100 same, 0 missing, 0 stale, 0 unreadable, 1 skipped"), std::string::npos) << r.err;

  server_->Set("wa:" + Key(5), "old-box", 7);
  server_->RawCommand("delete wa:" + Key(6) + "\r\n", "\r\n");
  r = Mctable({"--audit", table});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, Key(5) + "\told-box\t" + Value(5) + "\n");
  EXPECT_NE(r.err.find("98 same, 1 missing, 1 stale, 0 unreadable"), std::string::npos) << r.err;
  bool found = true;
  server_->Get("wa:" + Key(6), &found);
  EXPECT_FALSE(found) << "--audit alone writes nothing";

  r = Mctable({"--audit", "--repair", table});
  EXPECT_EQ(r.exit_status, 1) << "what was stale is reported even when repaired";
  EXPECT_EQ(r.out, Key(5) + "\told-box\t" + Value(5) + "\n");
  EXPECT_NE(r.err.find("1 stale, 0 unreadable, 1 skipped (keys a lookup does not cache), 1 repaired"),
            std::string::npos)
      << r.err;
  unsigned flags = 0;
  EXPECT_EQ(server_->Get("wa:" + Key(5), &found, &flags), Value(5));
  EXPECT_EQ(flags, 7u);
  r = Mctable({"--audit", table});
  EXPECT_EQ(r.exit_status, 0) << r.out << r.err;
}

TEST_F(CacheWarmAuditTest, ServerDownFailsTheKeysItHoldsAndNamesThem) {
  BuildBackup(200);
  MemcachedServer down;
  ASSERT_TRUE(down.Start()) << down.error();
  std::string servers = server_->endpoint() + ", " + down.endpoint();
  down.Stop();
  std::string table = Table("max_try = 1\ntimeout = 2\n", servers);
  CommandResult r = Mctable({"--warm", table});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("was not stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("@example.com\" was not stored"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 30);
  // The other server's share was stored all the same.
  std::string stats = server_->RawCommand("stats\r\n", "END\r\n");
  EXPECT_EQ(stats.find("STAT curr_items 0\r"), std::string::npos) << stats;

  r = Mctable({"--audit", table});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("unreadable"), std::string::npos) << r.err;
}

TEST_F(CacheWarmAuditTest, PgsqlBackupWarmedAndAuditedFromKeysOnStdin) {
  std::string why;
  bool unavailable = false;
  std::unique_ptr<testutil::SqlTestDatabase> db = testutil::SqlTestDatabase::Open("pgsql", &why, &unavailable);
  if (db == nullptr && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db != nullptr) << why;
  std::string big;
  ASSERT_TRUE(db->EnsureBigTable(6000, &big, &why)) << why;
  std::string backup = db->WriteTable(dir_, "pg.cf", "query = SELECT v FROM " + big + " WHERE k='%s'\n");
  std::string table = "memcache:" + dir_.WriteFile("pgmc.cf", "memcache = " + server_->endpoint() +
                                                                  "\nkey_format = wa:%s\nflags = 7\nbackup = " + backup + "\n");
  // Every backup key (user<i>@example<i % 97>.com), and two it lacks.
  std::string keys;
  for (int i = 0; i < 6000; ++i) keys += "user" + std::to_string(i) + "@example" + std::to_string(i % 97) + ".com\n";
  keys += "nobody@example.com\nghost@example.com\n";

  CommandResult r = Mctable({"--warm", table});
  EXPECT_EQ(r.exit_status, 1) << "a pgsql backup cannot be walked";
  EXPECT_NE(r.err.find("first/next is not supported"), std::string::npos) << r.err;

  r = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "--warm", "--keys-from-stdin", table}, keys);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("--warm: 6000 backup entries (2 keys from stdin not in the backup): 6000 stored"),
            std::string::npos)
      << r.err;
  bool found = false;
  unsigned flags = 0;
  EXPECT_EQ(server_->Get("wa:user4321@example" + std::to_string(4321 % 97) + ".com", &found, &flags), "value-4321");
  EXPECT_EQ(flags, 7u);

  server_->Set("wa:user17@example17.com", "old", 7);
  r = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "--audit", "--repair", "--keys-from-stdin", table},
                 keys);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "user17@example17.com\told\tvalue-17\n");
  EXPECT_NE(r.err.find("5999 same, 0 missing, 1 stale, 0 unreadable"), std::string::npos) << r.err;
  EXPECT_EQ(server_->Get("wa:user17@example17.com", &found), "value-17");
}

TEST_F(CacheWarmAuditTest, ServerStoppedMidWalkFailsTheRestAndNamesKeys) {
  BuildBackup(400000);
  MemcachedServer own;
  ASSERT_TRUE(own.Start()) << own.error();
  std::string table = Table("max_try = 1\ntimeout = 2\n", own.endpoint());
  testutil::ChildProcess warm({testutil::MctableBinary(), "-c", dir_.path(), "--warm", table}, false);
  ASSERT_TRUE(warm.started());
  for (int i = 0; i < 300; ++i) {
    if (own.RawCommand("stats\r\n", "END\r\n").find("STAT curr_items 0\r") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  own.Stop();
  CommandResult r = warm.Wait(120);
  if (r.exit_status == 0) GTEST_SKIP() << "--warm finished before the server stopped (a fast machine)";
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("@example.com\" was not stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("more keys were not stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--warm: 400001 backup entries: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(" 0 failed"), std::string::npos) << r.err;
}

TEST_F(CacheWarmAuditTest, InterruptedWarmSaysHowFarItGotAndLosesNothing) {
  BuildBackup(400000);
  testutil::ChildProcess warm({testutil::MctableBinary(), "-c", dir_.path(), "--warm", Table()}, false);
  ASSERT_TRUE(warm.started());
  // Wait until some entries are in memcached, then interrupt.
  for (int i = 0; i < 300; ++i) {
    std::string stats = server_->RawCommand("stats\r\n", "END\r\n");
    if (stats.find("STAT curr_items 0\r") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  warm.Signal(SIGINT);
  CommandResult r = warm.Wait(60);
  if (r.exit_status == 0) GTEST_SKIP() << "--warm finished before the signal (a fast machine)";
  ASSERT_EQ(r.exit_status, 128 + SIGINT) << r.err;
  const std::string prefix = "mctable: fatal: interrupted by SIGINT: ";
  ASSERT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
  size_t stored = std::stoul(r.err.substr(prefix.size()));
  EXPECT_GT(stored, 0u);
  EXPECT_LT(stored, 400000u);
  EXPECT_NE(r.err.find("were stored in memcached (through key \""), std::string::npos) << r.err;
  // Nothing walked was lost: memcached holds every entry reported stored.
  std::string stats = server_->RawCommand("stats\r\n", "END\r\n");
  size_t at = stats.find("STAT curr_items ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(std::stoul(stats.substr(at + 16)), stored) << r.err;
}

}  // namespace
}  // namespace mctable
