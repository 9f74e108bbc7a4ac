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
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "testutil/mctabled_process.h"
#include "testutil/postfix_instance.h"
#include "testutil/smtp_dialogue.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MemcachedServer;
using testutil::PostfixInstance;
using testutil::RunCommand;
using testutil::SmtpCommand;
using testutil::SmtpReply;
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
  std::string no_backup = "memcache:" + dir_.WriteFile("mc.cf", "memcache = inet:127.0.0.1:1\n");
  r = Mctable({"--expire", "verify", no_backup});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("table " + no_backup + ": --expire verify needs a memcache table with a backup"),
            std::string::npos)
      << r.err;
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

// --- Against a real Postfix ------------------------------------------------

// The services a message (or a verify probe) needs on its way to discard.
// The same cache, cleaned by Postfix (the instance's btree file, with
// `interval_parameter` = 1s and its daemon started by `wake`) and by
// `mctable --expire kind` (a copy, under the instance's own main.cf): the
// survivors must be the same, and both files get a stamp.
void CompareWithPostfixCleanup(PostfixInstance* postfix, const std::string& kind, const std::string& cache_file,
                               const std::string& interval_parameter, const std::function<void()>& wake,
                               std::set<std::string>* survivors) {
  ASSERT_TRUE(postfix->Stop()) << postfix->error();
  const std::string copy = cache_file + "-mctable";
  std::filesystem::copy_file(cache_file + ".db", copy + ".db", std::filesystem::copy_options::overwrite_existing);
  const std::string config_dir = postfix->config_dir();
  const int64_t before = Now();
  CommandResult r = RunCommand({testutil::MctableBinary(), "-c", config_dir, "--expire", kind, "btree:" + copy});
  ASSERT_EQ(r.exit_status, 0) << r.err;

  // Postfix's turn: no stamp yet, so its cleanup starts at once.
  postfix->AddMainCf({{interval_parameter, "1s"}});
  ASSERT_TRUE(postfix->Start()) << postfix->error();
  wake();
  ASSERT_TRUE(postfix->WaitForLog("full cleanup: retained=", 1, 60)) << postfix->Log();
  ASSERT_TRUE(postfix->Stop()) << postfix->error();

  auto by_postfix = Dump(config_dir, "btree:" + cache_file);
  auto by_mctable = Dump(config_dir, "btree:" + copy);
  EXPECT_EQ(Keys(by_mctable), Keys(by_postfix)) << postfix->Log();
  ExpectStamp(by_postfix, before, Now());
  ExpectStamp(by_mctable, before, Now());
  *survivors = Keys(by_mctable);
}

TEST(CacheExpireWithPostfix, VerifyKeepsWhatPostfixsOwnCleanupKeeps) {
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  const int smtp_port = testutil::FreeLoopbackPort();
  PostfixInstance::Options options;
  options.main_cf = {{"mynetworks", "127.0.0.0/8"},
                     {"smtpd_relay_restrictions", "permit_mynetworks, reject"},
                     {"smtpd_recipient_restrictions", "reject_unverified_recipient"},
                     {"default_transport", "discard:probe-ok"},
                     {"address_verify_negative_expire_time", "1h"},
                     {"address_verify_cache_cleanup_interval", "0"}};
  options.master_cf = testutil::MailDeliveryServices();
  options.master_cf.push_back("verify    unix - - n - 1 verify");
  options.master_cf.push_back("127.0.0.1:" + std::to_string(smtp_port) + " inet n - n - - smtpd");
  PostfixInstance postfix(options);
  // The cache starts with entries that are expired or fresh by main.cf's
  // times (31 days positive, 1 hour negative); verify adds its own.
  const int64_t now = Now();
  const std::string cache = postfix.maps_dir() + "/verify_cache";
  ASSERT_TRUE(postfix.MakeTable("btree", cache,
                       "old-ok@example.com 0:0:" + N(now - 40 * kDay) + ":250 ok\n" +
                           "fresh-ok@example.com 0:0:" + N(now - 20 * kDay) + ":250 ok\n" +
                           "old-bounce@example.com 2:0:" + N(now - 3 * 3600) + ":550 unknown\n" +
                           "fresh-bounce@example.com 2:0:" + N(now - 600) + ":550 unknown\n" +
                           "probing@example.com 2:" + N(now - 100) + ":" + N(now - 5 * 3600) + ":550 unknown\n" +
                           "broken@example.com 9:9:9\n"))
      << postfix.error();
  postfix.AddMainCf({{"address_verify_map", "btree:" + cache}});
  ASSERT_TRUE(postfix.Start()) << postfix.error();

  // verify writes "in progress" entries, then the probes' results.
  {
    LineClient smtp("inet:" + std::to_string(smtp_port));
    ASSERT_TRUE(smtp.connected());
    ASSERT_EQ(SmtpReply(&smtp).substr(0, 3), "220") << postfix.Log();
    ASSERT_EQ(SmtpCommand(&smtp, "EHLO client.test").substr(0, 3), "250");
    ASSERT_EQ(SmtpCommand(&smtp, "MAIL FROM:<sender@client.test>").substr(0, 3), "250");
    // 450 while the probe is out, or 250 if it came back within smtpd's
    // address_verify_poll_delay.
    for (const char* rcpt : {"Alice@example.com", "bob@example.com"}) {
      std::string reply = SmtpCommand(&smtp, std::string("RCPT TO:<") + rcpt + ">");
      EXPECT_TRUE(reply.substr(0, 3) == "450" || reply.substr(0, 3) == "250") << reply << postfix.Log();
    }
    SmtpCommand(&smtp, "QUIT");
  }
  ASSERT_TRUE(postfix.WaitForLog("status=deliverable", 2, 60)) << postfix.Log();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // verify stores the result after the agent logs it

  std::set<std::string> survivors;
  CompareWithPostfixCleanup(
      &postfix, "verify", cache, "address_verify_cache_cleanup_interval",
      [&] {
        // A query for a fresh deliverable address starts verify without
        // writing anything.
        LineClient smtp("inet:" + std::to_string(smtp_port));
        ASSERT_TRUE(smtp.connected());
        SmtpReply(&smtp);
        SmtpCommand(&smtp, "EHLO client.test");
        SmtpCommand(&smtp, "MAIL FROM:<sender@client.test>");
        std::string reply = SmtpCommand(&smtp, "RCPT TO:<bob@example.com>");
        EXPECT_EQ(reply.substr(0, 3), "250") << reply << postfix.Log();
        SmtpCommand(&smtp, "QUIT");
      },
      &survivors);
  EXPECT_EQ(survivors, (std::set<std::string>{"fresh-ok@example.com", "fresh-bounce@example.com",
                                              "probing@example.com", "Alice@example.com", "bob@example.com"}))
      << postfix.Log();
}

// A client that passes postscreen's pregreet test.
void PassPostscreen(int port, const PostfixInstance& postfix) {
  std::string greeting = testutil::GreetAndQuit(port);
  ASSERT_NE(greeting.find("220 "), std::string::npos) << greeting << postfix.Log();
}

TEST(CacheExpireWithPostfix, PostscreenKeepsWhatPostfixsOwnCleanupKeeps) {
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  const int port = testutil::FreeLoopbackPort();
  PostfixInstance::Options options;
  options.main_cf = {{"mynetworks", "127.0.0.0/8"},
                     {"postscreen_access_list", ""},
                     {"postscreen_greet_wait", "1s"},
                     {"postscreen_cache_retention_time", "1d"},
                     {"postscreen_cache_cleanup_interval", "0"}};
  options.master_cf = testutil::MailDeliveryServices();
  options.master_cf.push_back("verify    unix - - n - 1 verify");
  options.master_cf.push_back("127.0.0.1:" + std::to_string(port) + " inet n - n - 1 postscreen");
  options.master_cf.push_back("smtpd     pass - - n - - smtpd");
  PostfixInstance postfix(options);
  // Only the pregreet test is on (Postfix's default); one day's retention.
  const int64_t now = Now();
  const std::string later = N(now + kDay);
  const std::string cache = postfix.maps_dir() + "/postscreen_cache";
  ASSERT_TRUE(postfix.MakeTable("btree", cache,
                       "192.0.2.1 " + later + ";1;1;1;1\n" +                 // passed, not expired
                           "192.0.2.2 " + N(now - 2 * kDay) + ";1;1;1;1\n" + // expired 2 days ago
                           "192.0.2.3 " + N(now - 3 * 3600) + ";1;1;1;1\n" + // expired, within retention
                           "192.0.2.4 0;1;1;1;1\n" +                         // never passed pregreet
                           "2001:db8::5 " + later + "\n" +                   // an older, shorter value
                           "192.0.2.6 junk\n"))
      << postfix.error();
  postfix.AddMainCf({{"postscreen_cache_map", "btree:" + cache}});
  ASSERT_TRUE(postfix.Start()) << postfix.error();
  // postscreen writes an entry for a client that passed its test.
  PassPostscreen(port, postfix);
  ASSERT_TRUE(postfix.WaitForLog("PASS NEW [127.0.0.1]", 1, 60)) << postfix.Log();
  std::this_thread::sleep_for(std::chrono::seconds(1));

  std::set<std::string> survivors;
  CompareWithPostfixCleanup(&postfix, "postscreen", cache, "postscreen_cache_cleanup_interval",
                            [&] { PassPostscreen(port, postfix); }, &survivors);
  EXPECT_EQ(survivors, (std::set<std::string>{"192.0.2.1", "192.0.2.3", "2001:db8::5", "127.0.0.1"}))
      << postfix.Log();
}

}  // namespace
}  // namespace mctable
