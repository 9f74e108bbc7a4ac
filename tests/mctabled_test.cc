// mctabled against Postfix's own clients and against hostile ones.
//
// Postfix side: `postmap -q KEY` and `postmap -q -` through socketmap:unix:,
// socketmap:inet: and tcp: give the same output and exit status as
// `mctable -q` on the same memcache table (folding, key_format, domain,
// backup and cache fill).  Daemon side: unknown maps, table errors,
// memcached down with a backup, malformed and oversized requests, stalled
// and non-reading clients, thousands of idle connections, pipelining,
// SIGHUP, SIGTERM and the statistics.
#include <gtest/gtest.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testutil/mctabled_process.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::SocketmapRequest;
using testutil::TempDir;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class MctabledTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!memcached_.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached_.error();
    dir_.WriteFile("main.cf", "");  // postmap -c and mctable -c need one
    backup_ = dir_.WriteFile("backup", "bob@example.com bob value\nalice@example.com alice-backup\n"
                                       "erin@example.com erin%20with%25\n");
    WriteTable(memcached_.endpoint());
    memcached_.Set("mk:alice@example.com", "alice value with spaces");
    memcached_.Set("mk:dave@example.com", "dave-v");
    socket_ = dir_.path() + "/sock";
    inet_port_ = testutil::FreeLoopbackPort();
    tcp_port_ = testutil::FreeLoopbackPort();
  }

  void WriteTable(const std::string& endpoint) {
    table_cf_ = dir_.WriteFile("mc.cf", "memcache = " + endpoint +
                                            "\nkey_format = mk:%s\ndomain = example.com\n"
                                            "max_try = 1\ntimeout = 1\nbackup = texthash:" + backup_ + "\n");
  }

  // mctabled serving the table as "aliases" on all three kinds of listener.
  void StartDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-m", "aliases=memcache:" + table_cf_,
                                     "-l", "socketmap:unix:" + socket_,
                                     "-l", "socketmap:inet:127.0.0.1:" + std::to_string(inet_port_),
                                     "-l", "tcp:127.0.0.1:" + std::to_string(tcp_port_) + "=aliases",
                                     "-c", dir_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(daemon_.Start(args, "unix:" + socket_)) << daemon_.error();
  }

  std::vector<std::string> PostfixTables() const {
    return {"socketmap:unix:" + socket_ + ":aliases",
            "socketmap:inet:127.0.0.1:" + std::to_string(inet_port_) + ":aliases",
            "tcp:127.0.0.1:" + std::to_string(tcp_port_)};
  }

  CommandResult Mctable(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 30);
  }

  TempDir dir_;
  MemcachedServer memcached_;
  MctabledProcess daemon_;
  testutil::Postmap postmap_;
  std::string backup_, table_cf_, socket_;
  int inet_port_ = 0, tcp_port_ = 0;
};

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = {
      "alice@example.com",   // memcached hit (value with spaces)
      "Bob@Example.COM",     // folded, backup hit and cache fill
      "carol@example.com",   // miss everywhere
      "dave@example.com",    // memcached only
      "dave@other.org",      // outside the domain list: not asked
      "erin@example.com",    // value with '%'
      "x y@example.com",     // not a valid memcached key: not found
      std::string(300, 'l') + "@example.com",  // too long for memcached
      "percent%41@example.com",
  };
  return keys;
}

TEST_F(MctabledTest, PostmapThroughEveryListenerEqualsMctableQuery) {
  if (!postmap_.available()) GTEST_SKIP() << "Debian's postmap is not installed";
  StartDaemon();
  std::string input;
  for (const auto& k : Keys()) input += k + "\n";
  CommandResult ours = Mctable({"-q", "-", "memcache:" + table_cf_}, input);
  ASSERT_EQ(ours.exit_status, 0) << ours.err;
  ASSERT_NE(ours.out.find("bob value"), std::string::npos);
  for (const std::string& table : PostfixTables()) {
    CommandResult theirs = postmap_.Run({"-q", "-", table}, input);
    EXPECT_EQ(theirs.out, ours.out) << table << "\n" << theirs.err;
    EXPECT_EQ(theirs.exit_status, ours.exit_status) << table << "\n" << theirs.err;
    for (const std::string& key : Keys()) {
      CommandResult one_theirs = postmap_.Run({"-q", key, table});
      CommandResult one_ours = Mctable({"-q", key, "memcache:" + table_cf_});
      EXPECT_EQ(one_theirs.out, one_ours.out) << table << " " << key << "\n" << one_theirs.err;
      EXPECT_EQ(one_theirs.exit_status, one_ours.exit_status) << table << " " << key;
    }
  }
  // Nothing found at all: exit status 1 from both.
  CommandResult none_ours = Mctable({"-q", "-", "memcache:" + table_cf_}, "nobody@example.com\n");
  for (const std::string& table : PostfixTables()) {
    CommandResult none = postmap_.Run({"-q", "-", table}, "nobody@example.com\n");
    EXPECT_EQ(none.exit_status, none_ours.exit_status) << table;
    EXPECT_EQ(none.out, "");
  }
}

TEST_F(MctabledTest, CacheFillThroughTheDaemon) {
  StartDaemon();
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("aliases", "BOB@example.com")));
  EXPECT_EQ(client.ReadNetstring(), "OK bob value");
  bool found = false;
  EXPECT_EQ(memcached_.Get("mk:bob@example.com", &found), "bob value");
  EXPECT_TRUE(found) << "the backup's answer is written back to memcached";
}

TEST_F(MctabledTest, UnknownMapIsPermAndBadRequestsAreAnswered) {
  StartDaemon();
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("nosuch", "a@example.com") + "7:aliases," +
                          SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(client.ReadNetstring().substr(0, 5), "PERM ");
  EXPECT_EQ(client.ReadNetstring().substr(0, 5), "PERM ");
  EXPECT_EQ(client.ReadNetstring(), "OK dave-v") << "the connection goes on after a bad request";
  if (postmap_.available()) {
    CommandResult r = postmap_.Run({"-q", "a@example.com", "socketmap:unix:" + socket_ + ":nosuch"});
    EXPECT_NE(r.exit_status, 0);
    EXPECT_NE(r.err.find("permanent"), std::string::npos) << r.err;
  }
  LineClient tcp("inet:" + std::to_string(tcp_port_));
  ASSERT_TRUE(tcp.Send("put x y\nget a%zz\nget dave@example.com\nget nobody@example.com\n"));
  EXPECT_EQ(tcp.ReadLine().substr(0, 4), "400 ");
  EXPECT_EQ(tcp.ReadLine().substr(0, 4), "400 ");
  EXPECT_EQ(tcp.ReadLine(), "200 dave-v");
  EXPECT_EQ(tcp.ReadLine().substr(0, 4), "500 ");
}

TEST_F(MctabledTest, Utf8KeysFoldAsMctableDoesUnderTheSameMainCf) {
  // smtputf8_enable comes from main.cf under -c for both programs.
  dir_.WriteFile("main.cf", "smtputf8_enable = yes\n");
  memcached_.Set("mk:\xc3\xa4" "bc@example.com", "folded");  // "äbc@example.com"
  StartDaemon();
  const std::string key = "\xc3\x84" "BC@Example.COM";  // "ÄBC@Example.COM"
  CommandResult ours = Mctable({"-q", key, "memcache:" + table_cf_});
  ASSERT_EQ(ours.exit_status, 0) << ours.err;
  EXPECT_EQ(ours.out, "folded\n");
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("aliases", key)));
  EXPECT_EQ(client.ReadNetstring(), "OK folded");
}

TEST_F(MctabledTest, MissingMainCfUnderDashCIsFatalAsInMctable) {
  TempDir empty;
  MctabledProcess daemon;
  EXPECT_FALSE(daemon.Start({"-m", "aliases=memcache:" + table_cf_, "-l",
                             "socketmap:unix:" + socket_, "-c", empty.path()},
                            "unix:" + socket_));
  EXPECT_NE(daemon.log().find("open " + empty.path() + "/main.cf: No such file or directory"),
            std::string::npos)
      << daemon.log();
}

TEST_F(MctabledTest, TableErrorIsTempAndMemcachedDownLeavesTheBackupAnswering) {
  // A second map without a backup shows the error; the first keeps answering.
  std::string bare = dir_.WriteFile("bare.cf", "memcache = " + memcached_.endpoint() +
                                                   "\nmax_try = 1\ntimeout = 1\n");
  StartDaemon({"-m", "bare=memcache:" + bare});
  memcached_.Stop();
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("bare", "x@example.com")));
  EXPECT_EQ(client.ReadNetstring().substr(0, 5), "TEMP ");
  ASSERT_TRUE(client.Send(SocketmapRequest("aliases", "bob@example.com")));
  EXPECT_EQ(client.ReadNetstring(), "OK bob value");
  ASSERT_TRUE(client.Send(SocketmapRequest("aliases", "carol@example.com")));
  EXPECT_EQ(client.ReadNetstring(), "NOTFOUND ");
  if (postmap_.available()) {
    CommandResult theirs = postmap_.Run({"-q", "x@example.com", "socketmap:unix:" + socket_ + ":bare"});
    CommandResult ours = Mctable({"-q", "x@example.com", "memcache:" + bare});
    EXPECT_EQ(theirs.exit_status, ours.exit_status) << theirs.err << ours.err;
    EXPECT_EQ(theirs.out, ours.out);
    CommandResult backup = postmap_.Run({"-q", "bob@example.com", "tcp:127.0.0.1:" + std::to_string(tcp_port_)});
    EXPECT_EQ(backup.out, "bob value\n");
  }
  EXPECT_TRUE(daemon_.running());
}

// A listener that accepts (into its backlog) and never answers.
class SilentServer {
 public:
  SilentServer() : port_(testutil::FreeLoopbackPort()) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port_));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0 && ::listen(fd_, 8) == 0;
  }
  ~SilentServer() { ::close(fd_); }
  bool ok() const { return ok_; }
  std::string endpoint() const { return "inet:127.0.0.1:" + std::to_string(port_); }

 private:
  int port_, fd_;
  bool ok_ = false;
};

TEST_F(MctabledTest, TableTimeoutIsTimeoutAndPostmapFailsAsMctableDoes) {
  SilentServer silent;
  ASSERT_TRUE(silent.ok());
  std::string slow = dir_.WriteFile("slow.cf", "memcache = " + silent.endpoint() +
                                                   "\ntimeout = 1\nmax_try = 1\n");
  StartDaemon({"-m", "slow=memcache:" + slow});
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("slow", "k")));
  std::string reply = client.ReadNetstring(10);
  EXPECT_EQ(reply.substr(0, 8), "TIMEOUT ") << reply;
  if (postmap_.available()) {
    CommandResult theirs = postmap_.Run({"-q", "k", "socketmap:unix:" + socket_ + ":slow"});
    CommandResult ours = Mctable({"-q", "k", "memcache:" + slow});
    EXPECT_EQ(theirs.exit_status, ours.exit_status) << theirs.err << ours.err;
    EXPECT_EQ(theirs.out, ours.out);
    EXPECT_NE(theirs.err.find("socketmap server timeout error"), std::string::npos) << theirs.err;
  }
}

TEST_F(MctabledTest, PipelinedRequestsAnswerInOrder) {
  StartDaemon({"-m", "inl=inline:{k1=one, k2=two}"});
  LineClient client("unix:" + socket_);
  std::string burst;
  for (int i = 0; i < 200; ++i)
    burst += SocketmapRequest(i % 2 ? "inl" : "aliases", i % 2 ? "k" + std::to_string(1 + i % 4 / 2)
                                                               : "dave@example.com");
  ASSERT_TRUE(client.Send(burst));
  for (int i = 0; i < 200; ++i) {
    std::string want = i % 2 ? (i % 4 / 2 ? "OK two" : "OK one") : "OK dave-v";
    ASSERT_EQ(client.ReadNetstring(), want) << i;
  }
}

TEST_F(MctabledTest, MalformedAndOversizedRequestsAreCutOffOthersServed) {
  StartDaemon();
  LineClient garbage("unix:" + socket_);
  ASSERT_TRUE(garbage.Send("hello world\r\n"));
  EXPECT_EQ(garbage.ReadNetstring().substr(0, 5), "PERM ");
  EXPECT_TRUE(garbage.WaitClosed(5));
  LineClient huge("unix:" + socket_);
  ASSERT_TRUE(huge.Send("100001:aliases "));
  EXPECT_EQ(huge.ReadNetstring().substr(0, 5), "PERM ");
  EXPECT_TRUE(huge.WaitClosed(5));
  LineClient long_line("inet:" + std::to_string(tcp_port_));
  long_line.Send("get " + std::string(150000, 'a'));
  EXPECT_TRUE(long_line.WaitClosed(5));
  LineClient good("unix:" + socket_);
  ASSERT_TRUE(good.Send(SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(good.ReadNetstring(), "OK dave-v");
}

TEST_F(MctabledTest, StalledAndNonReadingClientsAreBoundedOthersServed) {
  std::string conf = dir_.WriteFile("d.conf", "request_timeout 1\nidle_timeout 2\nmax_pipeline 8\n");
  StartDaemon({"-f", conf});
  LineClient stalled("unix:" + socket_);
  ASSERT_TRUE(stalled.Send("20:aliases dave"));  // half a request, then nothing
  // A client that sends a lot and never reads: the daemon stops reading
  // from it (max_pipeline, output bound) and cuts it off after request_timeout.
  LineClient deaf("unix:" + socket_);
  std::string flood;
  for (int i = 0; i < 20000; ++i) flood += SocketmapRequest("aliases", std::string(200, 'z') + "@example.com");
  std::thread flooder([&] { deaf.Send(flood); });
  auto start = std::chrono::steady_clock::now();
  LineClient good("unix:" + socket_);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(good.Send(SocketmapRequest("aliases", "dave@example.com")));
    ASSERT_EQ(good.ReadNetstring(), "OK dave-v") << i;
  }
  EXPECT_LT(Seconds(start), 5.0) << "other clients are served meanwhile";
  EXPECT_TRUE(stalled.WaitClosed(5)) << "half a request is cut off after request_timeout";
  EXPECT_TRUE(deaf.WaitClosed(10)) << "a client that never reads is cut off";
  flooder.join();
  LineClient idle("unix:" + socket_);
  EXPECT_TRUE(idle.WaitClosed(6)) << "idle_timeout";
}

TEST_F(MctabledTest, ThousandsOfIdleConnectionsDoNotStopService) {
  // This process holds the client ends: it needs the descriptors too.
  rlimit limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_max < 3200) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " < 3200";
  std::string conf = dir_.WriteFile("d.conf", "idle_timeout 3\n");
  StartDaemon({"-f", conf});
  std::vector<std::unique_ptr<LineClient>> idle;
  for (int i = 0; i < 3000; ++i) {
    idle.push_back(std::make_unique<LineClient>("unix:" + socket_));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  LineClient good("inet:" + std::to_string(inet_port_));
  ASSERT_TRUE(good.Send(SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(good.ReadNetstring(), "OK dave-v");
  // And idle_timeout lets every one of them go.
  int closed = 0;
  for (auto& c : idle)
    if (c->WaitClosed(closed == 0 ? 10 : 2)) ++closed;
  EXPECT_EQ(closed, 3000);
}

TEST_F(MctabledTest, MaxClientsRefusesTheExtraClient) {
  std::string conf = dir_.WriteFile("d.conf", "max_clients 5\n");
  StartDaemon({"-f", conf});
  // The readiness probe's connection counts until the daemon sees it close.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::unique_ptr<LineClient>> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::make_unique<LineClient>("unix:" + socket_));
  for (auto& c : held) {
    ASSERT_TRUE(c->Send(SocketmapRequest("aliases", "dave@example.com")));
    EXPECT_EQ(c->ReadNetstring(), "OK dave-v");
  }
  LineClient extra("unix:" + socket_);
  EXPECT_TRUE(extra.WaitClosed(5));
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  LineClient later("unix:" + socket_);
  ASSERT_TRUE(later.Send(SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(later.ReadNetstring(), "OK dave-v");
}

TEST_F(MctabledTest, SigtermExitsZeroPromptlyAndRemovesTheSocket) {
  StartDaemon();
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(client.ReadNetstring(), "OK dave-v");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_.Stop(5), 0) << daemon_.log();
  EXPECT_LT(Seconds(start), 1.0);
  struct stat st;
  EXPECT_NE(::stat(socket_.c_str(), &st), 0) << "the unix socket is removed";
}

TEST_F(MctabledTest, SigtermIsPromptEvenWithATableCallInProgress) {
  // A "memcached" that accepts and never answers: the lookup waits for the
  // table's timeout, and shutdown does not.
  SilentServer silent;
  ASSERT_TRUE(silent.ok());
  std::string stall = dir_.WriteFile("stall.cf", "memcache = " + silent.endpoint() +
                                                     "\ntimeout = 30\nmax_try = 1\n");
  StartDaemon({"-m", "stall=memcache:" + stall});
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("stall", "k")));
  LineClient other("unix:" + socket_);
  ASSERT_TRUE(other.Send(SocketmapRequest("aliases", "dave@example.com")));
  EXPECT_EQ(other.ReadNetstring(), "OK dave-v") << "a stalled map does not stall the others";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_.Stop(10), 0);
  EXPECT_LT(Seconds(start), 4.0);
}

TEST_F(MctabledTest, SighupReopensTablesWithoutDroppingConnections) {
  std::string inline_conf = dir_.WriteFile("d.conf", "map extra=inline:{k=old}\n");
  StartDaemon({"-f", inline_conf});
  LineClient client("unix:" + socket_);
  ASSERT_TRUE(client.Send(SocketmapRequest("extra", "k")));
  EXPECT_EQ(client.ReadNetstring(), "OK old");
  dir_.WriteFile("d.conf", "map extra=inline:{k=new}\nmap added=static:hello\n");
  daemon_.Signal(SIGHUP);
  std::string answer;
  for (int i = 0; i < 100 && answer != "OK new"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(client.Send(SocketmapRequest("extra", "k")));
    answer = client.ReadNetstring();
  }
  EXPECT_EQ(answer, "OK new") << daemon_.log();
  ASSERT_TRUE(client.Send(SocketmapRequest("added", "anything")));
  EXPECT_EQ(client.ReadNetstring(), "OK hello");
  // A broken file keeps the old configuration.
  dir_.WriteFile("d.conf", "map extra=nosuchtype:x\n");
  daemon_.Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(client.Send(SocketmapRequest("extra", "k")));
  EXPECT_EQ(client.ReadNetstring(), "OK new");
  EXPECT_NE(daemon_.log().find("mctabled: warning: reload failed, keeping the old configuration"),
            std::string::npos)
      << daemon_.log();
}

TEST_F(MctabledTest, StatisticsCountLookupsHitsMissesFillsAndErrors) {
  std::string stats_socket = dir_.path() + "/stats";
  StartDaemon({"-l", "stats:unix:" + stats_socket});
  LineClient client("unix:" + socket_);
  for (const char* key : {"dave@example.com", "bob@example.com", "carol@example.com", "alice@example.com"}) {
    ASSERT_TRUE(client.Send(SocketmapRequest("aliases", key)));
    client.ReadNetstring();
  }
  LineClient stats("unix:" + stats_socket);
  std::string text = stats.ReadBytes(100000, 2);
  EXPECT_NE(text.find("map aliases: lookups=4 hits=3 misses=1 errors=0 backup_fills=1 p50_us="),
            std::string::npos)
      << text;
  daemon_.Signal(SIGUSR1);
  std::string log;
  for (int i = 0; i < 100 && log.find("map aliases: lookups=4") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = daemon_.log();
  }
  EXPECT_NE(log.find("mctabled: map aliases: lookups=4 hits=3"), std::string::npos) << log;
}

TEST_F(MctabledTest, MctableStatsFlagPrintsTheSameFigures) {
  CommandResult r = Mctable({"--stats", "-q", "-", "memcache:" + table_cf_},
                            "dave@example.com\nbob@example.com\ncarol@example.com\n");
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "dave@example.com\tdave-v\nbob@example.com\tbob value\n");
  EXPECT_NE(r.err.find("mctable: map memcache:" + table_cf_ +
                       ": lookups=3 hits=2 misses=1 errors=0 backup_fills=1 p50_us="),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace mctable
