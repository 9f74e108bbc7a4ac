// mctable --expire postscreen|verify: the entries Postfix's own cache
// cleanup drops are dropped, from a plain file table and from a memcache
// table's backup and memcached, and the _LAST_CACHE_CLEANUP_COMPLETED_
// stamp is written as Postfix writes it.
//
// The ...WithPostfix suite runs a private Postfix: its verify(8) writes
// entries (an SMTP RCPT with reject_unverified_recipient, probes delivered
// by discard), the test adds entries that are expired and fresh by
// main.cf's times, and the same file is cleaned twice, once by
// `mctable --expire verify` and once by verify's own cleanup
// (address_verify_cache_cleanup_interval = 1s): the survivors must be the
// same.  postscreen is checked the same way, with entries written by a
// real postscreen(8) after it saw a client pass its pregreet test.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "testutil/mctabled_process.h"
#include "testutil/postfix_instance.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MemcachedServer;
using testutil::PostfixInstance;
using testutil::RunCommand;
using testutil::TempDir;

constexpr char kStamp[] = "_LAST_CACHE_CLEANUP_COMPLETED_";
constexpr int64_t kDay = 86400;

int64_t Now() { return static_cast<int64_t>(::time(nullptr)); }
std::string N(int64_t n) { return std::to_string(n); }

// "key value" lines of `mctable -s`, as a map.
std::map<std::string, std::string> Dump(const std::string& config_dir, const std::string& table) {
  CommandResult r = RunCommand({testutil::MctableBinary(), "-c", config_dir, "-s", table});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  std::map<std::string, std::string> entries;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) entries[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return entries;
}

std::set<std::string> Keys(const std::map<std::string, std::string>& entries) {
  std::set<std::string> keys;
  for (const auto& [k, v] : entries)
    if (k != kStamp) keys.insert(k);
  return keys;
}

// The stamp is a decimal time within [before, after].
void ExpectStamp(const std::map<std::string, std::string>& entries, int64_t before, int64_t after) {
  auto it = entries.find(kStamp);
  ASSERT_NE(it, entries.end()) << "no " << kStamp;
  ASSERT_FALSE(it->second.empty());
  EXPECT_EQ(it->second.find_first_not_of("0123456789"), std::string::npos) << it->second;
  int64_t stamp = std::stoll(it->second);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
}

// A verify cache by main.cf's defaults (31 days positive, 3 days negative):
// what Postfix keeps (k...) and drops (d...).
std::string VerifySource(int64_t now) {
  return "k-ok@example.com 0:0:" + N(now - 30 * kDay) + ":250 2.0.0 Ok\n" +
         "k-probing@example.com 2:" + N(now - 60) + ":" + N(now - 9 * kDay) + ":550 no\n" +
         "k-bounce@example.com 2:0:" + N(now - 2 * kDay) + ":550 5.1.1 unknown\n" +
         "K-Mixed@Example.COM 3:" + N(now - 100) + ":0:Address verification in progress\n" +
         "d-ok@example.com 0:0:" + N(now - 32 * kDay) + ":250 2.0.0 Ok\n" +
         "d-defer@example.com 1:" + N(now - 5000) + ":" + N(now - 4 * kDay) + ":451 later\n" +
         "d-junk@example.com not a verify entry\n";
}

class CacheExpireTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_.WriteFile("main.cf", ""); }
  CommandResult Mctable(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv{testutil::MctableBinary(), "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input);
  }
  TempDir dir_;
};

TEST_F(CacheExpireTest, VerifyCacheInAPlainFileTable) {
  const int64_t now = Now();
  for (const char* type : {"btree:", "lmdb:"}) {
    std::string table = type + dir_.WriteFile(std::string("verify_") + (type[0] == 'b' ? "b" : "l"),
                                              VerifySource(now));
    ASSERT_EQ(Mctable({"-f", table}).exit_status, 0);
    CommandResult r = Mctable({"--expire", "verify", table});
    ASSERT_EQ(r.exit_status, 0) << r.err;
    EXPECT_NE(r.err.find(table + ": --expire verify: 7 entries: 4 kept, 3 expired and deleted"), std::string::npos)
        << r.err;
    auto entries = Dump(dir_.path(), table);
    EXPECT_EQ(Keys(entries), (std::set<std::string>{"k-ok@example.com", "k-probing@example.com",
                                                    "k-bounce@example.com", "K-Mixed@Example.COM"}))
        << type;
    ExpectStamp(entries, now, Now());
    // A second run finds nothing to do and leaves the survivors alone.
    r = Mctable({"--expire", "verify", table});
    EXPECT_NE(r.err.find("4 entries: 4 kept, 0 expired"), std::string::npos) << r.err;
  }
}

TEST_F(CacheExpireTest, MainCfTimesDecide) {
  const int64_t now = Now();
  // One hour's negative lifetime: the two-day-old bounce goes too; a
  // postscreen cache with pipelining enabled drops entries that never
  // passed it, and a 1-day retention drops a test expired 2 days ago.
  dir_.WriteFile("main.cf", "address_verify_negative_expire_time = 1h\npostscreen_pipelining_enable = yes\n"
                            "postscreen_cache_retention_time = 1d\n");
  std::string verify = "btree:" + dir_.WriteFile("verify", VerifySource(now));
  ASSERT_EQ(Mctable({"-f", verify}).exit_status, 0);
  CommandResult r = Mctable({"--expire", "verify", verify});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(Keys(Dump(dir_.path(), verify)),
            (std::set<std::string>{"k-ok@example.com", "k-probing@example.com", "K-Mixed@Example.COM"}));

  const std::string later = N(now + kDay);
  std::string postscreen = "btree:" + dir_.WriteFile(
      "ps", "192.0.2.1 " + later + ";1;" + later + ";1;1\n" +            // passed both: kept
                "192.0.2.2 " + later + ";1;0;1;1\n" +                    // pipelining never passed
                "192.0.2.3 " + N(now - 2 * kDay) + ";1;" + later + ";1;1\n" +  // pregreet long expired
                "192.0.2.4 " + N(now - kDay / 2) + ";1;" + later + ";1;1\n" +  // within retention
                "2001:db8::5 " + later + "\n");                          // older format: pipelining "disabled"
  ASSERT_EQ(Mctable({"-f", postscreen}).exit_status, 0);
  r = Mctable({"--expire", "postscreen", postscreen});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(Keys(Dump(dir_.path(), postscreen)), (std::set<std::string>{"192.0.2.1", "192.0.2.4"}));
}

TEST_F(CacheExpireTest, BadUseIsRefusedWithAClearError) {
  std::string table = "btree:" + dir_.WriteFile("v", "a@example.com 0:0:1:x\n");
  ASSERT_EQ(Mctable({"-f", table}).exit_status, 0);
  CommandResult r = Mctable({"--expire", "greylist", table});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("unknown cache \"greylist\": specify postscreen or verify"), std::string::npos) << r.err;
  r = Mctable({"--expire"});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("--expire needs postscreen or verify"), std::string::npos) << r.err;
  r = Mctable({"--expire", "verify", "-q", "a@example.com", table});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("go alone"), std::string::npos) << r.err;
  dir_.WriteFile("main.cf", "address_verify_positive_expire_time = soon\n");
  r = Mctable({"--expire", "verify", table});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find(dir_.path() + "/main.cf: parameter address_verify_positive_expire_time: bad time value"),
            std::string::npos)
      << r.err;
  // Nothing was deleted, and no stamp was written.
  EXPECT_EQ(Dump(dir_.path(), table).count(kStamp), 0u);
  EXPECT_EQ(Dump(dir_.path(), table).count("a@example.com"), 1u);
}

TEST_F(CacheExpireTest, MemcacheTableDeletesFromTheBackupAndFromMemcached) {
  MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  const int64_t now = Now();
  std::string backup = "lmdb:" + dir_.WriteFile("verify", VerifySource(now));
  ASSERT_EQ(Mctable({"-f", backup}).exit_status, 0);
  std::string table = "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                                "\nkey_format = vc:%s\nbackup = " + backup + "\n");
  // Every entry in memcached too, as Postfix's lookups would have left them.
  CommandResult r = Mctable({"-f", "--warm", table});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  bool found = false;
  memcached.Get("vc:d-ok@example.com", &found);
  ASSERT_TRUE(found);

  const int64_t before = Now();
  r = Mctable({"--expire", "verify", table});
  ASSERT_EQ(r.exit_status, 0) << r.err;
  EXPECT_NE(r.err.find("4 kept, 3 expired and deleted"), std::string::npos) << r.err;
  for (const char* gone : {"d-ok@example.com", "d-defer@example.com", "d-junk@example.com"}) {
    memcached.Get(std::string("vc:") + gone, &found);
    EXPECT_FALSE(found) << gone << " is still in memcached";
  }
  for (const char* kept : {"k-ok@example.com", "k-bounce@example.com", "K-Mixed@Example.COM"}) {
    memcached.Get(std::string("vc:") + kept, &found);
    EXPECT_TRUE(found) << kept << " left memcached";
  }
  auto entries = Dump(dir_.path(), backup);
  EXPECT_EQ(Keys(entries), (std::set<std::string>{"k-ok@example.com", "k-probing@example.com",
                                                  "k-bounce@example.com", "K-Mixed@Example.COM"}));
  ExpectStamp(entries, before, Now());
  // The stamp went through the table, into memcached as well.
  std::string cached = memcached.Get(std::string("vc:") + kStamp, &found);
  EXPECT_TRUE(found);
  EXPECT_EQ(cached, entries[kStamp]);
}

}  // namespace
}  // namespace mctable
