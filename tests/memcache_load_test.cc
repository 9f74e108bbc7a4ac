// mctable -i and -d - on a memcache table (issue 8): memcached and the
// backup end holding the same value for every key whatever the duplicate
// rule; a failed backup write never leaves memcached ahead of the backup;
// skipped entries follow one rule (a warning naming table and key each, a
// summary, exit 1, never "fatal:"); a connect failure names the table.
// A real memcached on loopback; the backup is a real lmdb file read back
// with Debian's postmap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::TempDir;

class MemcacheLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postmap_.available()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    dir_.WriteFile("main.cf", "");
    backup_ = "lmdb:" + dir_.path() + "/backup";
  }
  std::string Config(const std::string& extra, bool with_backup = true) {
    return dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() + "\n" +
                                       (with_backup ? "backup = " + backup_ + "\n" : "") + extra);
  }
  CommandResult Mctable(std::vector<std::string> args, const std::string& input,
                        std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {testutil::MctableBinary(), "-c", dir_.path()});
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 120);
  }
  // The backup's value, or "<none>".
  std::string InBackup(const std::string& key) {
    CommandResult r = postmap_.Run({"-q", key, backup_});
    return r.exit_status == 0 ? r.out.substr(0, r.out.size() - 1) : "<none>";
  }
  std::string InMemcached(const std::string& key) {
    bool found = false;
    std::string v = server_.Get(key, &found);
    return found ? v : "<none>";
  }

  TempDir dir_;
  MemcachedServer server_;
  testutil::Postmap postmap_;
  std::string backup_;
};

TEST_F(MemcacheLoadTest, DuplicateKeysLeaveMemcachedAndBackupAgreeing) {
  struct Case {
    const char* flag;
    const char* expected;
    bool warns;
  };
  for (const Case& c : {Case{"", "first", true}, Case{"-w", "first", false}, Case{"-r", "second", false}}) {
    server_.RawCommand("flush_all\r\n", "OK\r\n");
    ::unlink((dir_.path() + "/backup.lmdb").c_str());
    std::string cf = Config("");
    std::vector<std::string> args = {"-i", "memcache:" + cf};
    if (*c.flag) args.insert(args.begin(), c.flag);
    CommandResult r = Mctable(args, "k first\nother x\nK second\n");
    SCOPED_TRACE(std::string("flag '") + c.flag + "': " + r.err);
    EXPECT_EQ(r.exit_status, 0);
    EXPECT_EQ(InBackup("k"), c.expected);
    EXPECT_EQ(InMemcached("k"), c.expected) << "memcached stored the second value, the backup kept the first";
    EXPECT_EQ(r.err.find("duplicate entry") != std::string::npos, c.warns);
  }
}

TEST_F(MemcacheLoadTest, FailedBackupWriteNeverLeavesMemcachedAhead) {
  std::string cf = Config("");
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "key" + std::to_string(i) + " value-" + std::to_string(i) + "\n";
  // The backup file cannot grow past 300 kB: its writes fail part way.
  CommandResult r = Mctable({"-i", "memcache:" + cf}, input, {"/usr/bin/prlimit", "--fsize=300000"});
  EXPECT_EQ(r.exit_status, 1) << r.err;
  EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + cf + ": write error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("entries from stdin were stored in memcache:" + cf), std::string::npos) << r.err;
  int in_memcached = 0;
  for (int i = 0; i < 20000; i += 97) {
    std::string key = "key" + std::to_string(i);
    std::string cached = InMemcached(key);
    if (cached == "<none>") continue;
    ++in_memcached;
    EXPECT_EQ(cached, InBackup(key)) << key << ": memcached holds what the backup does not";
  }
  EXPECT_GT(in_memcached, 0) << "the entries before the failure are in both";
  EXPECT_EQ(InMemcached("key19999"), "<none>");
}

TEST_F(MemcacheLoadTest, SkippedEntriesFollowOneRule) {
  std::string cf = Config("domain = example.com\ndata_size_limit = 10\n", false);
  CommandResult r = Mctable({"-i", "memcache:" + cf},
                            "a@example.com short\n"
                            "b@other.com short\n"
                            "c@example.com far-too-long-value\n"
                            "d@example.com\n"
                            "e@example.com fine\n");
  EXPECT_EQ(r.exit_status, 1) << "documented: 1 when an entry was not stored";
  EXPECT_EQ(r.err.find("fatal:"), std::string::npos) << "nothing stopped the command: " << r.err;
  EXPECT_NE(r.err.find("memcache:" + cf + ": skipping update for name \"b@other.com\": domain mismatch"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("database memcache:" + cf + ": data for key c@example.com is too long"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("stdin, line 4: expected format: key whitespace value"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: memcache:" + cf + ": 3 of 5 entries from stdin were not stored"),
            std::string::npos)
      << r.err;
  // Each with its input line, and the table's full name.
  EXPECT_NE(r.err.find("mctable: warning: stdin, line 2: memcache:" + cf +
                       ": skipping update for name \"b@other.com\": domain mismatch\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("mctable: warning: stdin, line 3: database memcache:" + cf +
                       ": data for key c@example.com is too long (data_size_limit=10) -- not stored\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("warning: memcache:" + cf + ": skipping"), std::string::npos)
      << "each warned once, with its line: " << r.err;
  // In input order, though the reader (line 4) reads ahead of the table's batch (lines 2, 3).
  EXPECT_LT(r.err.find("b@other.com"), r.err.find("c@example.com")) << r.err;
  EXPECT_LT(r.err.find("c@example.com"), r.err.find("stdin, line 4:")) << r.err;
  EXPECT_EQ(InMemcached("a@example.com"), "short");
  EXPECT_EQ(InMemcached("e@example.com"), "fine");
  EXPECT_EQ(InMemcached("c@example.com"), "<none>");
}

TEST_F(MemcacheLoadTest, ConnectFailureNamesTheTable) {
  std::string cf = dir_.WriteFile("down.cf", "memcache = inet:127.0.0.1:" + std::to_string(testutil::FreeLoopbackPort()) +
                                                 "\nmax_try = 1\n");
  CommandResult r = Mctable({"-i", "memcache:" + cf}, "k v\n");
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + cf + ": write error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
}

TEST_F(MemcacheLoadTest, BatchDeleteLeavesNothingInMemcachedThatTheBackupLost) {
  std::string cf = Config("");
  ASSERT_EQ(Mctable({"-i", "memcache:" + cf}, "a 1\nb 2\nc 3\n").exit_status, 0);
  CommandResult r = Mctable({"-d", "-", "memcache:" + cf}, "a\nc\nnone\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  for (const char* key : {"a", "b", "c"}) EXPECT_EQ(InMemcached(key), InBackup(key)) << key;
  EXPECT_EQ(InBackup("b"), "2");
}

}  // namespace
}  // namespace mctable
