// The memcache table against a real memcached started by each test, over
// TCP on a free loopback port and over a unix socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <memory>
#include <string>

#include "mctable/log.h"
#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::MemcachedServer;
using testutil::TempDir;

// Captures warnings for the duration of a test.
class LogCapture {
 public:
  LogCapture() {
    old_ = SetLogSink([this](LogLevel level, std::string_view text) {
      (level == LogLevel::kWarning ? warnings : infos) += std::string(text) + "\n";
    });
  }
  ~LogCapture() { SetLogSink(old_); }
  std::string warnings, infos;

 private:
  LogSink old_;
};

class MemcacheTableTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    MemcachedServer::Options o;
    o.unix_socket = GetParam();
    server_ = std::make_unique<MemcachedServer>(o);
    if (!server_->Start()) GTEST_SKIP() << "cannot run memcached: " << server_->error();
  }

  std::string WriteConfig(const std::string& extra) {
    return dir_.WriteFile("mc.cf", "memcache = " + server_->endpoint() + "\n" + extra);
  }

  std::unique_ptr<Table> Open(const std::string& extra, bool read_write = true, bool fold = true) {
    OpenOptions options;
    options.read_write = read_write;
    options.fold_keys = fold;
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + WriteConfig(extra), options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  TempDir dir_;
  std::unique_ptr<MemcachedServer> server_;
};

TEST_P(MemcacheTableTest, LookupUsesKeyFormatAndFolds) {
  server_->Set("test:user@example.com", "found-it");
  auto table = Open("key_format = test:%s\n");
  std::string value;
  ASSERT_TRUE(table->Lookup("User@Example.COM", &value).ok());
  EXPECT_EQ(value, "found-it");
  EXPECT_TRUE(table->Lookup("nobody@example.com", &value).IsNotFound());

  auto unfolded = Open("key_format = test:%s\n", false, false);
  EXPECT_TRUE(unfolded->Lookup("User@Example.COM", &value).IsNotFound());
  EXPECT_TRUE(unfolded->Lookup("user@example.com", &value).ok());
}

TEST_P(MemcacheTableTest, UpdateStoresFlagsAndTtl) {
  auto table = Open("key_format = u:%s\nflags = 42\nttl = 600\n");
  ASSERT_TRUE(table->Update("Key1", "value one").ok());
  bool found = false;
  unsigned flags = 0;
  EXPECT_EQ(server_->Get("u:key1", &found, &flags), "value one");
  EXPECT_TRUE(found);
  EXPECT_EQ(flags, 42u);
  // memcached's meta get reports the remaining time to live.
  std::string meta = server_->RawCommand("mg u:key1 t\r\n", "\r\n");
  ASSERT_EQ(meta.rfind("HD t", 0), 0u) << meta;
  int ttl = std::stoi(meta.substr(4));
  EXPECT_GT(ttl, 590);
  EXPECT_LE(ttl, 600);
}

TEST_P(MemcacheTableTest, AbsoluteTtlIsPassedThrough) {
  long expires = static_cast<long>(::time(nullptr)) + 5000;  // > 30 days: absolute time
  auto table = Open("ttl = " + std::to_string(expires) + "\n");
  ASSERT_TRUE(table->Update("abs", "v").ok());
  std::string meta = server_->RawCommand("mg abs t\r\n", "\r\n");
  ASSERT_EQ(meta.rfind("HD t", 0), 0u) << meta;
  int ttl = std::stoi(meta.substr(4));
  // memcached's clock ticks once a second, so allow it a second or two; a
  // value sent as relative would show as about 1.7e9 seconds.
  EXPECT_GT(ttl, 4900);
  EXPECT_LE(ttl, 5002);
}

TEST_P(MemcacheTableTest, DeleteReportsWhatMemcachedSaid) {
  server_->Set("gone", "x");
  auto table = Open("");
  EXPECT_TRUE(table->Delete("gone").ok());
  EXPECT_TRUE(table->Delete("gone").IsNotFound());
  bool found = true;
  server_->Get("gone", &found);
  EXPECT_FALSE(found);
}

TEST_P(MemcacheTableTest, ReadOnlyRefusesWrites) {
  auto table = Open("", /*read_write=*/false);
  EXPECT_TRUE(table->Update("k", "v").IsRefused());
  EXPECT_TRUE(table->Delete("k").IsRefused());
  bool found = true;
  server_->Get("k", &found);
  EXPECT_FALSE(found);
}

TEST_P(MemcacheTableTest, SequenceWithoutBackupWarns) {
  LogCapture log;
  auto table = Open("");
  std::string k, v;
  EXPECT_TRUE(table->Sequence(SequenceOp::kFirst, &k, &v).IsNotFound());
  EXPECT_NE(log.warnings.find(": first/next support requires backup database"), std::string::npos)
      << log.warnings;
}

TEST_P(MemcacheTableTest, SkippedKeysNeverReachMemcached) {
  LogCapture log;
  auto table = Open("domain = example.com\nkey_format = %u.%2\n");
  std::string value;
  // Outside the domain list, bare, "@domain", unexpandable: silently not found.
  for (const char* key : {"user@example.org", "user", "@example.com", "", "a b@example.com"})
    EXPECT_TRUE(table->Lookup(key, &value).IsNotFound()) << key;
  EXPECT_EQ(log.warnings, "");
  // An update with such a key is refused with a warning and stores nothing.
  Status s = table->Update("user@example.org", "v");
  EXPECT_TRUE(s.IsRefused()) << s.ToString();
  EXPECT_NE(log.warnings.find("skipping update for name \"user@example.org\": domain mismatch"),
            std::string::npos)
      << log.warnings;
  std::string stats = server_->RawCommand("stats\r\n", "END\r\n");
  EXPECT_NE(stats.find("STAT cmd_get 0\r\n"), std::string::npos);
  EXPECT_NE(stats.find("STAT cmd_set 0\r\n"), std::string::npos);
  // A good key goes through, expanded.
  ASSERT_TRUE(table->Update("Joe@Example.COM", "ok").ok());
  bool found = false;
  EXPECT_EQ(server_->Get("joe.example", &found), "ok");
}

TEST_P(MemcacheTableTest, ControlCharactersAreNotSent) {
  auto table = Open("");
  std::string value;
  server_->Set("xy", "wrong");
  EXPECT_TRUE(table->Lookup("x\x01y", &value).IsNotFound());
  EXPECT_TRUE(table->Lookup("x\r\nget xy", &value).IsNotFound());
  EXPECT_TRUE(table->Lookup(std::string(251, 'k'), &value).IsNotFound());
  std::string stats = server_->RawCommand("stats\r\n", "END\r\n");
  EXPECT_NE(stats.find("STAT cmd_get 0\r\n"), std::string::npos) << stats;
}

TEST_P(MemcacheTableTest, DataSizeLimits) {
  LogCapture log;
  auto table = Open("data_size_limit = 100\nmax_try = 1\n");
  server_->Set("big", std::string(101, 'b'));
  server_->Set("fits", std::string(100, 'f'));
  std::string value;
  Status s = table->Lookup("big", &value);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(s.message(), "unexpected memcache server reply: VALUE big 0 101");
  ASSERT_TRUE(table->Lookup("fits", &value).ok());  // the table recovers
  EXPECT_EQ(value, std::string(100, 'f'));
  s = table->Update("toolong", std::string(101, 'x'));
  EXPECT_TRUE(s.IsRefused()) << "skipped with a warning, not an error: " << s.ToString();
  EXPECT_NE(log.warnings.find("data for key toolong is too long (data_size_limit=100) -- not stored"),
            std::string::npos)
      << log.warnings;
}

TEST_P(MemcacheTableTest, BatchesMatchSingleOperations) {
  auto table = Open("key_format = b:%s\n");
  std::vector<KeyValue> entries;
  for (int i = 0; i < 3000; ++i)
    if (i % 2 == 0) entries.push_back({"key" + std::to_string(i), "value" + std::to_string(i)});
  std::vector<Status> stored;
  table->UpdateMany(entries, &stored);
  for (const Status& s : stored) ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back("KEY" + std::to_string(i));
  keys.push_back("bad key");
  keys.push_back("key0");  // repeated key
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string single;
    Status s = table->Lookup(keys[i], &single);
    ASSERT_EQ(s.code(), results[i].status.code()) << keys[i];
    if (s.ok()) {
      EXPECT_EQ(single, results[i].value);
    }
  }
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[0].value, "value0");
  EXPECT_TRUE(results[1].status.IsNotFound());
  std::vector<Status> deleted;
  table->DeleteMany(keys, &deleted);
  EXPECT_TRUE(deleted[0].ok());
  EXPECT_TRUE(deleted[1].IsNotFound());
  EXPECT_TRUE(deleted[3001].IsNotFound());  // key0 again: already deleted
}

TEST_P(MemcacheTableTest, BackupLookupFillsCache) {
  if (!testutil::HaveTableType("texthash")) GTEST_SKIP() << "texthash table type is not built in";
  std::string backup = dir_.WriteFile("backup", "alice@example.com alice-value\nbob bob-value\n");
  auto table = Open("key_format = c:%s\nflags = 7\nttl = 100\nbackup = texthash:" + backup + "\n",
                    /*read_write=*/false);
  std::string value;
  ASSERT_TRUE(table->Lookup("Alice@Example.com", &value).ok());
  EXPECT_EQ(value, "alice-value");
  bool found = false;
  unsigned flags = 0;
  EXPECT_EQ(server_->Get("c:alice@example.com", &found, &flags), "alice-value");
  EXPECT_TRUE(found);
  EXPECT_EQ(flags, 7u);
  EXPECT_TRUE(table->Lookup("carol", &value).IsNotFound());
  server_->Get("c:carol", &found);
  EXPECT_FALSE(found);
  // The backup answers even when memcached is gone.
  server_->Stop();
  ASSERT_TRUE(table->Lookup("bob", &value).ok());
  EXPECT_EQ(value, "bob-value");
}

TEST_P(MemcacheTableTest, BackupUpdateDeleteSequenceWithLmdb) {
  if (!testutil::HaveTableType("lmdb")) GTEST_SKIP() << "lmdb table type is not built in";
  std::string backup = "lmdb:" + dir_.path() + "/backup";
  {
    OpenOptions create;
    create.read_write = create.create = true;
    std::unique_ptr<Table> t;
    ASSERT_TRUE(OpenTable(backup, create, &t).ok());
    ASSERT_TRUE(t->Update("seed", "s").ok());
    ASSERT_TRUE(t->Close().ok());
  }
  auto table = Open("key_format = l:%s\nbackup = " + backup + "\n");
  ASSERT_TRUE(table->Update("K1", "v1").ok());
  bool found = false;
  EXPECT_EQ(server_->Get("l:k1", &found), "v1");
  std::vector<std::pair<std::string, std::string>> seen;
  std::string k, v;
  for (Status s = table->Sequence(SequenceOp::kFirst, &k, &v); s.ok();
       s = table->Sequence(SequenceOp::kNext, &k, &v))
    seen.emplace_back(k, v);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"k1", "v1"}, {"seed", "s"}}));
  ASSERT_TRUE(table->Delete("k1").ok());
  server_->Get("l:k1", &found);
  EXPECT_FALSE(found);
  std::string value;
  EXPECT_TRUE(table->Lookup("k1", &value).IsNotFound());
  // memcached down: update still reaches the backup, and its result is the table's.
  server_->Stop();
  ASSERT_TRUE(table->Update("k2", "v2").ok());
  ASSERT_TRUE(table->Lookup("k2", &value).ok());
  EXPECT_EQ(value, "v2");
}

TEST_P(MemcacheTableTest, RefusedConnectionIsNotRetried) {
  auto table = Open("max_try = 3\nretry_pause = 1\n");
  server_->Stop();
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("k", &value);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(s.IsTempError());
  EXPECT_LT(seconds, 0.5) << "a refused connection must not be retried";
  EXPECT_NE(log.warnings.find("connect to "), std::string::npos) << log.warnings;
}

TEST_P(MemcacheTableTest, ReconnectsAfterRestart) {
  auto table = Open("");
  std::string value;
  ASSERT_TRUE(table->Update("k", "v").ok());
  ASSERT_TRUE(table->Lookup("k", &value).ok());
  server_->Stop();
  ASSERT_TRUE(server_->Start());  // new port or socket: rewrite the config
  table = Open("");
  EXPECT_TRUE(table->Lookup("k", &value).IsNotFound());  // memcached lost it on restart
  ASSERT_TRUE(table->Update("k", "v2").ok());
  ASSERT_TRUE(table->Lookup("k", &value).ok());
  EXPECT_EQ(value, "v2");
}

TEST_P(MemcacheTableTest, SecuritySensitiveUseIsRefused) {
  OpenOptions options;
  options.security_sensitive = true;
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + WriteConfig(""), options, &table);
  EXPECT_TRUE(s.IsRefused());
  EXPECT_NE(s.message().find("is not allowed for security-sensitive data"), std::string::npos);
}

// A server whose accept queue is full never completes the TCP handshake:
// the connect itself must be bounded by timeout, per try.
TEST(MemcacheConnectTest, ConnectTimeoutIsBounded) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof sin;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&sin), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  TempDir dir;
  std::string cf = dir.WriteFile("mc.cf", "memcache = inet:127.0.0.1:" + std::to_string(ntohs(sin.sin_port)) +
                                              "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n");
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable("memcache:" + cf, OpenOptions(), &table).ok());
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("k", &value);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(s.message(), "Connection timed out");
  // Two tries of 1 s and one pause of 1 s: timeout x max_try + retry_pause x (max_try - 1).
  EXPECT_GT(seconds, 2.9);
  EXPECT_LT(seconds, 3.5);
  EXPECT_NE(log.warnings.find("connect to 127.0.0.1:"), std::string::npos) << log.warnings;
  for (int fd : fillers) ::close(fd);
  ::close(listener);
}

INSTANTIATE_TEST_SUITE_P(Transports, MemcacheTableTest, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "Unix" : "Tcp"; });

}  // namespace
}  // namespace mctable
