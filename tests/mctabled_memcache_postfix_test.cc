// End to end: private Postfix instances whose verify(8) and postscreen(8)
// caches go through mctabled's memcache listener to three memcached
// servers:
//
//   SMTP RCPT TO -> smtpd (reject_unverified_recipient) -> verify(8)
//     -> address_verify_map = memcache:CF, memcache = unix:<front>
//     -> mctabled -> memcache table (3 servers, key_digest, signed values)
//
// Postfix's own memcache client is unchanged.  verify's lookups and its
// update after the probe reach memcached signed, stored under the digest of
// verify's key, on the server ketama names; a second reader (the mctable
// library, with the table's own file) reads back what verify wrote, and a
// second Postfix instance sharing the cache accepts the address without a
// probe of its own.  With a local backup on Postfix's side (what gives
// Postfix's memcache client first/next), verify's cache cleanup walks the
// backup and its deletes reach memcached through the front.  postscreen's
// cache, written when a client passes the pregreet test, lands there the
// same way and is read back on the client's next visit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"
#include "testutil/memcached_set.h"
#include "testutil/mctabled_process.h"
#include "testutil/openssl_digest.h"
#include "testutil/postfix_instance.h"
#include "testutil/smtp_dialogue.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedSet;
using testutil::PostfixInstance;
using testutil::SmtpCommand;
using testutil::SmtpReply;
using testutil::RunCommand;
using testutil::TempDir;

// The discard nexthop verify's probes end in: its text is in verify's
// result, so a value holding it is that result.
constexpr char kProbeResult[] = "verified-by-mctabled-test";

// Three memcached, the signed key_digest table over them, and mctabled
// serving it as map "cache" on a memcache front, with a stats listener.
// The sockets are in a directory the postfix user can search (mctabled
// makes them mode 0666).
class MctabledMemcacheWithPostfix : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
    if (testutil::OpensslBinary().empty()) GTEST_SKIP() << "the openssl command is not installed";
    if (!servers_.Start(3)) GTEST_SKIP() << "cannot run memcached: " << servers_.error();
    dir_.WriteFile("main.cf", "");
    std::string key_file = dir_.WriteFile(
        "sign.key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
    table_cf_ = dir_.WriteFile("cache.cf", "memcache = " + servers_.MemcacheValue() +
                                               "\nkey_digest = sha256\nvalue_signing_key_file = " + key_file +
                                               "\ntimeout = 1\n");
    ASSERT_EQ(::chmod(socket_dir_.path().c_str(), 0755), 0);
    front_ = socket_dir_.path() + "/front";
    stats_ = socket_dir_.path() + "/stats";
    ASSERT_TRUE(daemon_.Start({"-m", "cache=memcache:" + table_cf_, "-l", "memcache:unix:" + front_ + "=cache",
                               "-l", "stats:unix:" + stats_, "-c", dir_.path()},
                              "unix:" + front_))
        << daemon_.error();
  }

  // Postfix's side of the cache: its own memcache client, pointed at the
  // front, with `lines` (key_format, backup, ...) added; in the instance's
  // maps directory, readable by the postfix user.
  std::string WriteClientCf(const PostfixInstance& postfix, const std::string& name, const std::string& lines) {
    const std::string cf = postfix.maps_dir() + "/" + name;
    TempDir scratch;
    std::string written = scratch.WriteFile("client.cf", "memcache = unix:" + front_ + "\n" + lines);
    EXPECT_EQ(RunCommand({"/bin/cp", "-p", written, cf}).exit_status, 0);
    ::chmod(cf.c_str(), 0644);
    return cf;
  }

  // The key memcached stores for the client's key: its digest.
  static std::string Wire(const std::string& client_key) { return testutil::OpensslDigest("sha256", client_key); }

  // The server ketama places `wire` on.
  size_t KetamaServer(const std::string& wire) {
    std::vector<ServerConfig> configs;
    EXPECT_TRUE(ParseServerList(servers_.MemcacheValue(), "test", &configs).ok());
    ServerPool pool(configs, PlacementSettings());
    size_t ketama = 0;
    EXPECT_TRUE(pool.ServerFor(wire, &ketama));
    return ketama;
  }

  // A reader with the table's own file: what `client_key` holds ("" if
  // nothing).
  std::string ReadThroughTable(const std::string& client_key) {
    CommandResult r = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "-f", "-q", client_key,
                                  "memcache:" + table_cf_});
    EXPECT_TRUE(r.exit_status == 0 || r.exit_status == 1) << r.err;
    if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }

  // The front's statistics line ("memcache cache: gets=N ...").
  std::string FrontStats() {
    LineClient client("unix:" + stats_);
    std::string text = client.ReadBytes(100000, 2);
    size_t at = text.find("memcache cache: ");
    return at == std::string::npos ? text : text.substr(at, text.find('\n', at) - at);
  }

  // One figure of FrontStats(), -1 if it is not there.
  static long Figure(const std::string& stats, const std::string& name) {
    size_t at = stats.find(" " + name + "=");
    return at == std::string::npos ? -1 : std::stol(stats.substr(at + name.size() + 2));
  }

  MemcachedSet servers_;
  TempDir dir_;
  TempDir socket_dir_;
  std::string table_cf_;
  std::string front_;
  std::string stats_;
  MctabledProcess daemon_;
};

// An instance whose smtpd on smtp_port verifies recipients with verify(8),
// probes "delivered" by discard.
PostfixInstance::Options VerifyingInstance(int smtp_port) {
  PostfixInstance::Options options;
  options.master_cf = testutil::SmtpReceivingServices(smtp_port);
  options.master_cf.push_back("verify    unix - - n - 1 verify");
  options.main_cf = {{"default_transport", std::string("discard:") + kProbeResult},
                     {"mynetworks", "127.0.0.0/8"},
                     {"smtpd_relay_restrictions", "permit_mynetworks, reject"},
                     {"smtpd_recipient_restrictions", "reject_unverified_recipient"}};
  return options;
}

// RCPT TO:<address> in a mail transaction of its own; smtpd's reply.
std::string Rcpt(int smtp_port, const std::string& address) {
  LineClient smtp("inet:" + std::to_string(smtp_port));
  if (SmtpReply(&smtp).substr(0, 3) != "220") return "<no greeting>";
  SmtpCommand(&smtp, "EHLO client.test");
  SmtpCommand(&smtp, "MAIL FROM:<sender@client.test>");
  std::string reply = SmtpCommand(&smtp, "RCPT TO:<" + address + ">");
  SmtpCommand(&smtp, "QUIT");
  return reply;
}

TEST_F(MctabledMemcacheWithPostfix, VerifyCacheGoesThroughTheFrontToThreeServers) {
  // Two Postfix instances sharing the cache, as the page's fleet does.
  const std::vector<int> smtp_ports = {testutil::FreeLoopbackPort(), testutil::FreeLoopbackPort()};
  std::vector<std::unique_ptr<PostfixInstance>> instances;
  std::vector<std::string> postfix_cfs;
  for (int smtp_port : smtp_ports) {
    instances.push_back(std::make_unique<PostfixInstance>(VerifyingInstance(smtp_port)));
    PostfixInstance& postfix = *instances.back();
    // The key_format verify(8) caches are given on the page.
    postfix_cfs.push_back(WriteClientCf(postfix, "verify-memcache.cf", "key_format = verify:%s\n"));
    postfix.AddMainCf({
        {"address_verify_map", "memcache:" + postfix_cfs.back()},
        // No backup, so no first/next: no cache cleanup (memcache_table(5)).
        {"address_verify_cache_cleanup_interval", "0"},
    });
    ASSERT_TRUE(postfix.Start()) << postfix.error();
  }
  PostfixInstance& postfix = *instances[0];

  const std::string address = "someone@verify.test";
  std::string last;
  bool accepted = false;
  for (int attempt = 0; attempt < 10 && !accepted; ++attempt) {
    last = Rcpt(smtp_ports[0], address);
    accepted = last.substr(0, 3) == "250";
    if (!accepted) std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  EXPECT_TRUE(accepted) << last << "\n" << postfix.Log() << daemon_.log();
  // The second instance has never probed this address: it finds verify's
  // result in the shared cache at once.
  std::string second_reply = Rcpt(smtp_ports[1], address);
  EXPECT_EQ(second_reply.substr(0, 3), "250") << second_reply << instances[1]->Log();
  EXPECT_EQ(instances[1]->Log().find("verify.test"), std::string::npos)
      << "the second instance sent no probe: " << instances[1]->Log();

  // verify's update: in memcached, signed, under the digest of its key,
  // on the server ketama names.
  const std::string wire = Wire("verify:" + address);
  std::map<std::string, std::vector<size_t>> holders = servers_.Holders({wire});
  const size_t ketama = KetamaServer(wire);
  ASSERT_EQ(holders[wire], std::vector<size_t>{ketama}) << postfix.Log();
  bool found = false;
  std::string raw = servers_[ketama].Get(wire, &found);
  EXPECT_EQ(raw.substr(0, 5), "MCS2 ") << raw;

  // A second reader with the table's own file reads what verify wrote.
  std::string second = ReadThroughTable("verify:" + address);
  EXPECT_NE(raw.find(second), std::string::npos) << second;
  EXPECT_NE(second.find(kProbeResult), std::string::npos) << second;

  std::string stats = FrontStats();
  EXPECT_GT(Figure(stats, "gets"), 0) << stats;
  EXPECT_GT(Figure(stats, "sets"), 0) << stats;
  EXPECT_EQ(Figure(stats, "errors"), 0) << stats;
  // Postfix's memcache client names its table file in every warning.
  for (size_t i = 0; i < instances.size(); ++i) {
    EXPECT_EQ(instances[i]->Log().find(postfix_cfs[i] + ":"), std::string::npos) << instances[i]->Log();
    EXPECT_TRUE(instances[i]->Stop()) << instances[i]->error();
  }
  EXPECT_EQ(daemon_.Stop(), 0) << daemon_.log();
}

// Postfix's memcache client walks (first/next) only its own backup, so a
// cache cleanup through a memcache table needs one on Postfix's side.  With
// it, verify's cleanup (every second, positive results expiring after one)
// drops verify's own result: its delete goes through the front to the
// memcached server that held the signed entry, and the backup loses it too.
TEST_F(MctabledMemcacheWithPostfix, VerifyCleanupDeletesThroughTheFront) {
  const int smtp_port = testutil::FreeLoopbackPort();
  PostfixInstance postfix(VerifyingInstance(smtp_port));
  // Postfix opens the backup without O_CREAT: it must exist.
  const std::string backup = postfix.maps_dir() + "/verify-backup";
  ASSERT_TRUE(postfix.MakeTable("btree", backup, "")) << postfix.error();
  const std::string postfix_cf =
      WriteClientCf(postfix, "verify-memcache.cf", "key_format = verify:%s\nbackup = btree:" + backup + "\n");
  postfix.AddMainCf({{"address_verify_map", "memcache:" + postfix_cf},
                     // smtpd asks once and answers 450 at once: no query
                     // of its own refreshes the entry afterwards.
                     {"address_verify_poll_count", "1"},
                     // verify's minimums (1s each; a cleanup interval of 0
                     // turns the cleanup off).
                     {"address_verify_positive_expire_time", "1s"},
                     {"address_verify_positive_refresh_time", "1s"},
                     {"address_verify_cache_cleanup_interval", "1s"}});
  ASSERT_TRUE(postfix.Start()) << postfix.error();

  const std::string address = "expires@verify.test";
  std::string reply = Rcpt(smtp_port, address);
  EXPECT_TRUE(reply.substr(0, 3) == "450" || reply.substr(0, 3) == "250") << reply << postfix.Log();

  // Watch verify's key on all three servers: "in progress", then the
  // probe's result, then gone (the table's ttl is an hour: only a delete
  // removes it).
  const std::string wire = Wire("verify:" + address);
  std::set<size_t> holders;
  std::vector<std::string> values;
  bool result_seen = false;
  bool gone = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    bool held = false;
    for (size_t i = 0; i < servers_.size(); ++i) {
      bool found = false;
      std::string value = servers_[i].Get(wire, &found);
      if (!found) continue;
      held = true;
      holders.insert(i);
      if (values.empty() || values.back() != value) values.push_back(value);
      result_seen = result_seen || value.find(kProbeResult) != std::string::npos;
    }
    gone = result_seen && !held;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(result_seen) << postfix.Log() << daemon_.log();
  EXPECT_TRUE(gone) << "verify's entry is still in memcached: " << postfix.Log();
  EXPECT_EQ(holders, std::set<size_t>{KetamaServer(wire)});
  for (const std::string& value : values) EXPECT_EQ(value.substr(0, 5), "MCS2 ") << value;

  // The cleanup that dropped it says so (the entry is replaced, never
  // added twice: one key, dropped once).
  EXPECT_TRUE(postfix.WaitForLog("cache memcache:" + postfix_cf + " full cleanup: retained=0 dropped=1 entries", 1,
                                 30))
      << postfix.Log();
  std::string stats = FrontStats();
  EXPECT_EQ(Figure(stats, "deletes"), 1) << stats;
  EXPECT_EQ(Figure(stats, "errors"), 0) << stats;
  EXPECT_EQ(postfix.Log().find(postfix_cf + ":"), std::string::npos) << postfix.Log();
  ASSERT_TRUE(postfix.Stop()) << postfix.error();

  // The backup lost the entry too, and holds the cleanup's stamp.
  CommandResult dump = RunCommand({testutil::MctableBinary(), "-c", postfix.config_dir(), "-s", "btree:" + backup});
  EXPECT_EQ(dump.exit_status, 0) << dump.err;
  EXPECT_EQ(dump.out.find(address), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("_LAST_CACHE_CLEANUP_COMPLETED_"), std::string::npos) << dump.out;
  EXPECT_EQ(daemon_.Stop(), 0) << daemon_.log();
}

// postscreen(8) writes its cache when a client passes its tests (here the
// pregreet test, the only one on): the entry lands signed on the server
// ketama names, and the client's next visit finds it ("PASS OLD").
TEST_F(MctabledMemcacheWithPostfix, PostscreenCacheGoesThroughTheFront) {
  const int port = testutil::FreeLoopbackPort();
  PostfixInstance::Options options;
  options.master_cf = testutil::MailDeliveryServices();
  options.master_cf.push_back("127.0.0.1:" + std::to_string(port) + " inet n - n - 1 postscreen");
  options.master_cf.push_back("smtpd     pass - - n - - smtpd");
  PostfixInstance postfix(options);
  const std::string postfix_cf = WriteClientCf(postfix, "postscreen-memcache.cf", "key_format = postscreen:%s\n");
  postfix.AddMainCf({{"mynetworks", "127.0.0.0/8"},
                     {"postscreen_access_list", ""},
                     {"postscreen_greet_wait", "1s"},
                     {"postscreen_cache_map", "memcache:" + postfix_cf},
                     // No backup, so no first/next: no cache cleanup.
                     {"postscreen_cache_cleanup_interval", "0"}});
  ASSERT_TRUE(postfix.Start()) << postfix.error();

  std::string greeting = testutil::GreetAndQuit(port);
  ASSERT_NE(greeting.find("220 "), std::string::npos) << greeting << postfix.Log();
  ASSERT_TRUE(postfix.WaitForLog("PASS NEW [127.0.0.1]", 1, 30)) << postfix.Log();

  const std::string wire = Wire("postscreen:127.0.0.1");
  const size_t ketama = KetamaServer(wire);
  std::map<std::string, std::vector<size_t>> holders;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((holders = servers_.Holders({wire}))[wire].empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(holders[wire], std::vector<size_t>{ketama}) << postfix.Log() << daemon_.log();
  bool found = false;
  std::string raw = servers_[ketama].Get(wire, &found);
  EXPECT_EQ(raw.substr(0, 5), "MCS2 ") << raw;
  // postscreen's value: the pregreet test's expiry time, then the other
  // tests' (";"-separated), as Postfix writes it.
  std::string value = ReadThroughTable("postscreen:127.0.0.1");
  EXPECT_NE(value.find(';'), std::string::npos) << value;
  EXPECT_NE(raw.find(value), std::string::npos) << value;

  // The next visit: postscreen finds the entry through the front.
  greeting = testutil::GreetAndQuit(port);
  EXPECT_NE(greeting.find("220 "), std::string::npos) << greeting << postfix.Log();
  EXPECT_TRUE(postfix.WaitForLog("PASS OLD [127.0.0.1]", 1, 30)) << postfix.Log();
  std::string stats = FrontStats();
  EXPECT_GE(Figure(stats, "sets"), 1) << stats;
  EXPECT_GE(Figure(stats, "hits"), 1) << stats;
  EXPECT_EQ(Figure(stats, "errors"), 0) << stats;
  EXPECT_EQ(postfix.Log().find(postfix_cf + ":"), std::string::npos) << postfix.Log();
  EXPECT_TRUE(postfix.Stop()) << postfix.error();
  EXPECT_EQ(daemon_.Stop(), 0) << daemon_.log();
}

}  // namespace
}  // namespace mctable
