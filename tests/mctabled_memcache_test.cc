// mctabled's memcache listener against real clients and real servers: three
// memcached started once for the suite behind the front, Postfix's own
// memcache client (postmap -q / -d on a memcache: table whose server is the
// front), libmemcached's memccp/memccat, and hostile clients by hand.
//
// What is shown: values and flags come back as stored and the TTL reaches
// memcached; behind the front, entries are signed, stored under their
// sha256 digest, on the server ketama names, and a second reader (mctable
// with the same table) reads them; a miss is found in the lmdb backup and
// filled; writes reach the backup; long keys work with key_digest and are
// a CLIENT_ERROR without it; unknown commands, garbage, over-long lines,
// values longer than declared or over the limit, 10,000 pipelined
// commands, clients that never read or stop half way are bounded; a
// stopped or frozen memcached is a SERVER_ERROR within the table's timeout
// and the front recovers when it returns.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"
#include "testutil/memcached_set.h"
#include "testutil/mctabled_process.h"
#include "testutil/openssl_digest.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedSet;
using testutil::RunCommand;
using testutil::TempDir;

const std::string kSigningKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The index of the server ketama (twemproxy's placement) names for `key`.
size_t KetamaServer(const std::string& memcache_value, const std::string& key) {
  std::vector<ServerConfig> servers;
  EXPECT_TRUE(ParseServerList(memcache_value, "test", &servers).ok());
  ServerPool pool(servers, PlacementSettings());
  size_t where = 0;
  EXPECT_TRUE(pool.ServerFor(key, &where));
  return where;
}

class MctabledMemcacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    servers_ = new MemcachedSet;
    if (!servers_->Start(3)) skip_reason_ = "cannot run memcached: " + servers_->error();
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    if (testutil::OpensslBinary().empty()) GTEST_SKIP() << "the openssl command is not installed";
    dir_.WriteFile("main.cf", "");
    socket_ = dir_.path() + "/front";
    stats_ = dir_.path() + "/stats";
    port_ = testutil::FreeLoopbackPort();
  }

  CommandResult Mctable(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 30);
  }

  // The mapped table: the three servers, signed, digested, lmdb backup.
  std::string WriteTable(const std::string& extra = "") {
    std::string key_file = dir_.WriteFile("sign.key", kSigningKey + "\n", 0600);
    dir_.WriteFile("backup", "from-backup@example.com backup value\n");
    CommandResult built = Mctable({"lmdb:" + dir_.path() + "/backup"});
    EXPECT_EQ(built.exit_status, 0) << built.err;
    return dir_.WriteFile("mc.cf", "memcache = " + servers_->MemcacheValue() +
                                       "\nkey_digest = sha256\nvalue_signing_key_file = " + key_file +
                                       "\nbackup = lmdb:" + dir_.path() + "/backup\n"
                                       "timeout = 1\nmax_try = 1\n" + extra);
  }

  void StartFront(const std::string& table_cf, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-m", "verify=memcache:" + table_cf,
                                     "-l", "memcache:unix:" + socket_ + "=verify",
                                     "-l", "memcache:inet:127.0.0.1:" + std::to_string(port_) + "=verify",
                                     "-l", "stats:unix:" + stats_,
                                     "-c", dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(daemon_.Start(args, "unix:" + socket_)) << daemon_.error();
  }

  std::string Stats() {
    LineClient c("unix:" + stats_);
    std::string text;
    for (std::string line = c.ReadLine(); line != "<eof>" && line != "<timeout>"; line = c.ReadLine())
      text += line + "\n";
    return text;
  }

  // A unique key prefix per test: the servers are shared by the suite.
  std::string Key(const std::string& name) const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ":" + name;
  }

  static MemcachedSet* servers_;
  static std::string skip_reason_;
  TempDir dir_;
  MctabledProcess daemon_;
  std::string socket_, stats_;
  int port_ = 0;
};

MemcachedSet* MctabledMemcacheTest::servers_ = nullptr;
std::string MctabledMemcacheTest::skip_reason_;

TEST_F(MctabledMemcacheTest, SetGetDeleteSignedDigestedPlacedByKetamaAndReadBack) {
  std::string table_cf = WriteTable();
  StartFront(table_cf);
  LineClient c("unix:" + socket_);
  const std::string key = Key("a@example.com");
  const std::string value("a value \r\n with CRLF and \x01");
  // Postfix's forms: "set KEY FLAGS TTL LEN", "get KEY", bare "delete KEY".
  ASSERT_TRUE(c.Send("set " + key + " 42 3600 " + std::to_string(value.size()) + "\r\n" + value + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "STORED\r");
  std::string expected = "VALUE " + key + " 42 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
  ASSERT_TRUE(c.Send("get " + key + "\r\n"));
  EXPECT_EQ(c.ReadBytes(expected.size()), expected);

  // Behind the front: signed, under the digest, where ketama puts it, with
  // the client's flags and ttl.
  const std::string wire = testutil::OpensslDigest("sha256", key);
  std::map<std::string, std::vector<size_t>> holders = servers_->Holders({wire, key});
  ASSERT_EQ(holders[wire], std::vector<size_t>{KetamaServer(servers_->MemcacheValue(), wire)});
  EXPECT_TRUE(holders[key].empty()) << "the plain key is never stored";
  bool found = false;
  unsigned flags = 0;
  std::string raw = (*servers_)[holders[wire][0]].Get(wire, &found, &flags);
  EXPECT_EQ(raw.substr(0, 5), "MCS2 ");
  EXPECT_NE(raw.find(value), std::string::npos);
  EXPECT_EQ(flags, 42u);
  std::string meta = (*servers_)[holders[wire][0]].RawCommand("mg " + wire + " t\r\n", "\r\n");
  int ttl_left = std::atoi(meta.substr(meta.find(" t") + 2).c_str());
  EXPECT_GT(ttl_left, 3500) << meta;
  EXPECT_LE(ttl_left, 3600) << meta;

  // A second reader: mctable on the same table reads it (key_format %s).
  CommandResult second = Mctable({"-f", "-q", key, "memcache:" + table_cf});
  EXPECT_EQ(second.exit_status, 0) << second.err;
  EXPECT_EQ(second.out, value + "\n");
  // The write reached the backup too.
  CommandResult backup = Mctable({"-q", key, "lmdb:" + dir_.path() + "/backup"});
  EXPECT_EQ(backup.out, value + "\n");

  ASSERT_TRUE(c.Send("delete " + key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "DELETED\r");
  ASSERT_TRUE(c.Send("delete " + key + "\r\nget " + key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "NOT_FOUND\r");
  EXPECT_EQ(c.ReadLine(), "END\r");
  EXPECT_TRUE(servers_->Holders({wire})[wire].empty());
  EXPECT_EQ(Mctable({"-q", key, "lmdb:" + dir_.path() + "/backup"}).exit_status, 1);

  std::string stats = Stats();
  EXPECT_NE(stats.find("memcache verify: gets=2 sets=1 deletes=2 hits=1 misses=1 errors=0"),
            std::string::npos)
      << stats;

  // SIGHUP reopens the table, read-write again; the connection stays.
  daemon_.Signal(SIGHUP);
  for (int i = 0; i < 100 && daemon_.log().find("reloaded") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NE(daemon_.log().find("reloaded"), std::string::npos) << daemon_.log();
  ASSERT_TRUE(c.Send("set " + key + " 0 0 5\r\nagain\r\nget " + key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "STORED\r");
  EXPECT_EQ(c.ReadLine(), "VALUE " + key + " 0 5\r");
}

TEST_F(MctabledMemcacheTest, MultiGetInOrderBackupFillForgedEntryAndLongKeys) {
  std::string table_cf = WriteTable();
  StartFront(table_cf);
  LineClient c("inet:" + std::to_string(port_));
  const std::string a = Key("a"), b = Key("b"), forged = Key("forged");
  const std::string long_key = Key(std::string(400, 'l'));
  ASSERT_TRUE(c.Send("set " + a + " 1 0 2\r\nva\r\nset " + b + " 2 0 2 noreply\r\nvb\r\n"));
  EXPECT_EQ(c.ReadLine(), "STORED\r");
  // Written straight into memcached, unsigned: a miss to the client.
  const std::string forged_wire = testutil::OpensslDigest("sha256", forged);
  (*servers_)[KetamaServer(servers_->MemcacheValue(), forged_wire)].Set(forged_wire, "evil");
  ASSERT_TRUE(c.Send("get " + b + " nothing-" + a + " " + forged + " from-backup@example.com " + a + "\r\n"));
  std::string expected = "VALUE " + b + " 2 2\r\nvb\r\n" +
                         "VALUE from-backup@example.com 0 12\r\nbackup value\r\n" +
                         "VALUE " + a + " 1 2\r\nva\r\nEND\r\n";
  EXPECT_EQ(c.ReadBytes(expected.size()), expected);
  EXPECT_NE(daemon_.log().find(forged + "\" (" + forged_wire + "): value is not signed -- treated as not found"),
            std::string::npos)
      << daemon_.log();
  // The backup hit was filled into memcached, signed.
  const std::string filled = testutil::OpensslDigest("sha256", "from-backup@example.com");
  std::vector<size_t> where = servers_->Holders({filled})[filled];
  ASSERT_EQ(where.size(), 1u);
  bool found = false;
  EXPECT_EQ((*servers_)[where[0]].Get(filled, &found).substr(0, 5), "MCS2 ");

  // 400-byte keys work through key_digest (memcached's own limit is 250).
  ASSERT_TRUE(c.Send("set " + long_key + " 0 0 4\r\nlong\r\nget " + long_key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "STORED\r");
  EXPECT_EQ(c.ReadLine(), "VALUE " + long_key + " 0 4\r");
  EXPECT_EQ(c.ReadLine(), "long\r");
  EXPECT_EQ(c.ReadLine(), "END\r");
}

TEST_F(MctabledMemcacheTest, LongKeyWithoutKeyDigestIsAClientErrorAndTheConnectionGoesOn) {
  std::string table_cf = dir_.WriteFile("plain.cf", "memcache = " + servers_->MemcacheValue() + "\n");
  StartFront(table_cf);
  LineClient c("unix:" + socket_);
  const std::string long_key = Key(std::string(300, 'l'));
  ASSERT_TRUE(c.Send("set " + long_key + " 0 0 1\r\nx\r\nget " + long_key + "\r\nget " + Key("short") +
                     "\r\n"));
  std::string line = c.ReadLine();
  EXPECT_EQ(line.rfind("CLIENT_ERROR key of ", 0), 0u) << line;
  EXPECT_NE(line.find("has no key_digest"), std::string::npos) << line;
  EXPECT_EQ(c.ReadLine().rfind("CLIENT_ERROR key of ", 0), 0u);
  EXPECT_EQ(c.ReadLine(), "END\r");
  // Without a backup, any bytes at all, NUL included, come back exactly.
  const std::string binary("\0\r\n\xff", 4);
  ASSERT_TRUE(c.Send("set " + Key("bin") + " 0 0 4\r\n" + binary + "\r\nget " + Key("bin") + "\r\n"));
  std::string expected = "STORED\r\nVALUE " + Key("bin") + " 0 4\r\n" + binary + "\r\nEND\r\n";
  EXPECT_EQ(c.ReadBytes(expected.size()), expected);
}

TEST_F(MctabledMemcacheTest, PostfixPostmapQueryAndDeleteThroughTheFront) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian's postmap is not installed";
  std::string table_cf = WriteTable();
  StartFront(table_cf);
  // Postfix's own memcache client, pointed at the front's socket.
  std::string postfix_cf = dir_.WriteFile("postfix-memcache.cf", "memcache = unix:" + socket_ +
                                                                     "\nkey_format = verify:%s\n");
  const std::string address = "pm-" + Key("user@example.com").substr(0, 40);
  std::string lower = address;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  LineClient c("unix:" + socket_);
  ASSERT_TRUE(c.Send("set verify:" + lower + " 0 0 10\r\nstatus:ok \r\n"));
  ASSERT_EQ(c.ReadLine(), "STORED\r");
  CommandResult q = postmap.Run({"-q", address, "memcache:" + postfix_cf});
  EXPECT_EQ(q.exit_status, 0) << q.err;
  EXPECT_EQ(q.out, "status:ok \n");
  CommandResult d = postmap.Run({"-d", address, "memcache:" + postfix_cf});
  EXPECT_EQ(d.exit_status, 0) << d.err;
  q = postmap.Run({"-q", address, "memcache:" + postfix_cf});
  EXPECT_EQ(q.exit_status, 1) << q.out << q.err;
  EXPECT_EQ(q.err, "");
  // A miss in memcached is found in the backup through Postfix too.
  q = postmap.Run({"-q", "from-backup@example.com", "memcache:" + dir_.WriteFile("nofmt.cf",
                                                                                "memcache = unix:" + socket_ + "\n")});
  EXPECT_EQ(q.out, "backup value\n") << q.err;
}

TEST_F(MctabledMemcacheTest, LibmemcachedToolsCopyAndCatThroughTheFront) {
  if (::access("/usr/bin/memccp", X_OK) != 0 || ::access("/usr/bin/memccat", X_OK) != 0)
    GTEST_SKIP() << "memccp/memccat not installed (apt-get install libmemcached-tools)";
  std::string table_cf = WriteTable();
  StartFront(table_cf);
  const std::string server = "127.0.0.1:" + std::to_string(port_);
  std::string name = "memccp-" + std::to_string(::getpid());
  std::string file = dir_.WriteFile(name, "file contents\nline two\n");
  CommandResult cp = RunCommand({"/usr/bin/memccp", "--servers=" + server, "--flag=7", "--expire=600", file}, "", 30);
  ASSERT_EQ(cp.exit_status, 0) << cp.out << cp.err;
  CommandResult cat = RunCommand({"/usr/bin/memccat", "--servers=" + server, "--flag", name}, "", 30);
  EXPECT_EQ(cat.exit_status, 0) << cat.err;
  EXPECT_NE(cat.out.find("file contents\nline two\n"), std::string::npos) << cat.out;
  EXPECT_NE(cat.out.find("7"), std::string::npos) << cat.out;
  // And mctable reads what libmemcached wrote through the front.
  EXPECT_EQ(Mctable({"-f", "-q", name, "memcache:" + table_cf}).out, "file contents\nline two\n\n");
}

TEST_F(MctabledMemcacheTest, HostileClientsAreBoundedAndNothingWrittenBeforeIsLost) {
  std::string table_cf = WriteTable();
  std::string conf = dir_.WriteFile("mctabled.conf", "request_timeout 1\nmax_pipeline 64\n");
  StartFront(table_cf, {"-f", conf});
  const std::string kept = Key("kept");
  {
    LineClient c("unix:" + socket_);
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 4\r\nkept\r\n"));
    ASSERT_EQ(c.ReadLine(), "STORED\r");
    // Garbage and unknown commands: ERROR, and the connection goes on.
    ASSERT_TRUE(c.Send("\x01\x02garbage\r\nflush_all\r\nincr x 1\r\nversion\r\n"));
    EXPECT_EQ(c.ReadLine(), "ERROR\r");
    EXPECT_EQ(c.ReadLine(), "ERROR\r");
    EXPECT_EQ(c.ReadLine(), "ERROR\r");
    EXPECT_EQ(c.ReadLine(), "VERSION mctabled\r");
    // A value longer than declared: one CLIENT_ERROR; then on as before.
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 3\r\nabcdef\r\nget " + kept + "\r\n"));
    EXPECT_EQ(c.ReadLine(), "CLIENT_ERROR bad data chunk\r");
    EXPECT_EQ(c.ReadLine(), "VALUE " + kept + " 0 4\r");
    EXPECT_EQ(c.ReadLine(), "kept\r");
    EXPECT_EQ(c.ReadLine(), "END\r");
    // A NUL byte that the lmdb backup would cut the value at: refused.
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 3\r\na" + std::string(1, '\0') + "b\r\n"));
    EXPECT_EQ(c.ReadLine().rfind("CLIENT_ERROR value contains a NUL byte, which the backup table lmdb:", 0), 0u);
    // Over the data_size_limit: read and dropped, never buffered whole.
    std::string big(1000000, 'x');
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 1000000\r\n" + big + "\r\nget " + kept + "\r\n"));
    std::string line = c.ReadLine();
    EXPECT_EQ(line.rfind("CLIENT_ERROR value of 1000000 bytes is larger than the limit of ", 0), 0u) << line;
    EXPECT_EQ(c.ReadLine(), "VALUE " + kept + " 0 4\r");
  }
  {
    // 10,000 pipelined commands, answered in order.
    LineClient c("unix:" + socket_);
    std::string burst;
    for (int i = 0; i < 10000; ++i) burst += (i % 2 ? "get " + kept + "\r\n" : "get nothing-" + kept + "\r\n");
    ASSERT_TRUE(c.Send(burst));
    std::string expected;
    for (int i = 0; i < 10000; ++i) expected += i % 2 ? "VALUE " + kept + " 0 4\r\nkept\r\nEND\r\n" : "END\r\n";
    EXPECT_EQ(c.ReadBytes(expected.size(), 30), expected);
  }
  {
    // A command line without an end: CLIENT_ERROR at the line limit, closed.
    LineClient c("unix:" + socket_);
    ASSERT_TRUE(c.Send("get " + std::string(20000, 'k')));
    EXPECT_EQ(c.ReadLine(), "CLIENT_ERROR line longer than 16384 bytes\r");
    EXPECT_TRUE(c.WaitClosed(5));
  }
  {
    // Half a value, then silence: cut off after request_timeout (1 s).
    LineClient c("unix:" + socket_);
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 10\r\nabc"));
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.WaitClosed(10));
    EXPECT_LT(Seconds(start), 5.0);
  }
  {
    // An oversized value whose data stops coming: refused at once, then
    // cut off after request_timeout like half a request.
    LineClient c("unix:" + socket_);
    ASSERT_TRUE(c.Send("set " + kept + " 0 0 100000000\r\n" + std::string(1000, 'x')));
    EXPECT_EQ(c.ReadLine().rfind("CLIENT_ERROR value of 100000000 bytes", 0), 0u);
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.WaitClosed(10));
    EXPECT_LT(Seconds(start), 5.0);
  }
  {
    // A client that never reads: the front stops reading it and cuts it off.
    const std::string big_key = Key("big");
    LineClient w("unix:" + socket_);
    ASSERT_TRUE(w.Send("set " + big_key + " 0 0 9000\r\n" + std::string(9000, 'v') + "\r\n"));
    ASSERT_EQ(w.ReadLine(), "STORED\r");
    LineClient c("unix:" + socket_);
    std::string burst;
    for (int i = 0; i < 3000; ++i) burst += "get " + big_key + "\r\n";
    std::thread sender([&] { c.Send(burst); });
    std::this_thread::sleep_for(std::chrono::seconds(4));
    EXPECT_TRUE(c.WaitClosed(10));
    sender.join();
  }
  // What was written before is all there, and the daemon still serves.
  EXPECT_EQ(Mctable({"-f", "-q", kept, "memcache:" + table_cf}).out, "kept\n");
  std::string stats = Stats();
  EXPECT_NE(stats.find("clients_cut_off=3"), std::string::npos) << stats;
}

TEST_F(MctabledMemcacheTest, MemcachedDownOrFrozenIsServerErrorWithinTheTimeoutThenRecovers) {
  // One server behind the front, so that every key is on it.
  std::string table_cf =
      dir_.WriteFile("one.cf", "memcache = " + (*servers_)[2].endpoint() + "\ntimeout = 1\nmax_try = 1\n");
  StartFront(table_cf);
  LineClient c("unix:" + socket_);
  const std::string key = Key("k");
  ASSERT_TRUE(c.Send("set " + key + " 0 0 1\r\nv\r\n"));
  ASSERT_EQ(c.ReadLine(), "STORED\r");

  (*servers_)[2].Freeze(true);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("get " + key + "\r\n"));
  std::string line = c.ReadLine(10);
  double frozen_seconds = Seconds(start);
  (*servers_)[2].Freeze(false);
  EXPECT_EQ(line.rfind("SERVER_ERROR ", 0), 0u) << line;
  EXPECT_LT(frozen_seconds, 1.9) << "within timeout = 1 (Postfix waits 2 s)";
  ASSERT_TRUE(c.Send("get " + key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "VALUE " + key + " 0 1\r");
  EXPECT_EQ(c.ReadLine(), "v\r");
  EXPECT_EQ(c.ReadLine(), "END\r");

  (*servers_)[2].Stop();
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("set " + key + " 0 0 1\r\nw\r\n"));
  line = c.ReadLine(10);
  EXPECT_EQ(line.rfind("SERVER_ERROR ", 0), 0u) << line;
  EXPECT_LT(Seconds(start), 1.9);
  ASSERT_TRUE((*servers_)[2].Restart()) << (*servers_)[2].error();
  ASSERT_TRUE(c.Send("set " + key + " 0 0 1\r\nw\r\nget " + key + "\r\n"));
  EXPECT_EQ(c.ReadLine(), "STORED\r");
  EXPECT_EQ(c.ReadLine(), "VALUE " + key + " 0 1\r");
  std::string stats = Stats();
  EXPECT_NE(stats.find("errors=2"), std::string::npos) << stats;
}

// Postfix's own client through the front while the server behind it is down:
// a SERVER_ERROR is a query error to Postfix (a temporary failure, never a
// "not found"), and the next lookup after the server returns succeeds with no
// restart of anything.
TEST_F(MctabledMemcacheTest, PostfixSeesATemporaryFailureWhileMemcachedIsDownThenRecovers) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian's postmap is not installed";
  std::string table_cf =
      dir_.WriteFile("down.cf", "memcache = " + (*servers_)[2].endpoint() + "\ntimeout = 1\nmax_try = 1\n");
  StartFront(table_cf);
  std::string postfix_cf = dir_.WriteFile("postfix-down.cf", "memcache = unix:" + socket_ + "\nmax_try = 1\n");
  const std::string key = "down-" + std::to_string(port_) + "@example.com";

  (*servers_)[2].Stop();
  CommandResult q = postmap.Run({"-q", key, "memcache:" + postfix_cf});
  EXPECT_NE(q.exit_status, 0) << q.out;
  EXPECT_EQ(q.out, "");
  EXPECT_NE(q.err.find("fatal: table memcache:" + postfix_cf + ": query error"), std::string::npos) << q.err;
  CommandResult d = postmap.Run({"-d", key, "memcache:" + postfix_cf});
  EXPECT_NE(d.exit_status, 0) << d.err;
  EXPECT_NE(d.err.find("fatal: table memcache:" + postfix_cf + ": delete error"), std::string::npos) << d.err;
  std::string stats = Stats();
  EXPECT_NE(stats.find("errors=2"), std::string::npos) << "one SERVER_ERROR per command\n" << stats;

  ASSERT_TRUE((*servers_)[2].Restart()) << (*servers_)[2].error();
  LineClient c("unix:" + socket_);
  ASSERT_TRUE(c.Send("set " + key + " 0 0 4\r\nback\r\n"));
  ASSERT_EQ(c.ReadLine(), "STORED\r");
  q = postmap.Run({"-q", key, "memcache:" + postfix_cf});
  EXPECT_EQ(q.exit_status, 0) << q.err;
  EXPECT_EQ(q.out, "back\n");
  EXPECT_EQ(q.err, "");
}

TEST_F(MctabledMemcacheTest, AMemcacheListenerNeedsAMemcacheTable) {
  dir_.WriteFile("plain", "a b\n");
  ASSERT_EQ(Mctable({"lmdb:" + dir_.path() + "/plain"}).exit_status, 0);
  MctabledProcess daemon;
  EXPECT_FALSE(daemon.Start({"-m", "m=lmdb:" + dir_.path() + "/plain", "-l", "memcache:unix:" + socket_ + "=m",
                             "-c", dir_.path()},
                            "unix:" + socket_));
  EXPECT_NE(daemon.log().find("cannot serve a memcache listener: only a memcache table can"),
            std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace mctable
