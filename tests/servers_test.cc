// A memcache table spread over several servers, with real memcached
// servers (killed and restarted by the test) and, for faults a real one
// will not produce (a stalled or slow server), FaultServer in the list.
//
// What must hold: every key goes to its own server, a batch is sent to all
// servers at once, a failing server fails only its own keys and within
// its own bound (timeout x max_try + retry_pause x (max_try - 1)), the
// other servers' answers are exactly as usual, and with auto_eject_hosts
// the failing server's keys move to the servers twemproxy would use.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mctable/log.h"
#include "mctable/table.h"
#include "memcache/dispatch_clock.h"
#include "memcache/server_list.h"
#include "memcache/server_pool.h"
#include "testutil/fault_server.h"
#include "testutil/memcached_set.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::FaultAction;
using testutil::FaultServer;
using testutil::MemcachedSet;
using testutil::TempDir;
using Seconds = std::chrono::duration<double>;

constexpr double kSlack = 0.5;

std::string Key(int i) { return "key" + std::to_string(i); }
std::string Value(int i) { return "value-of-" + std::to_string(i); }

double Since(std::chrono::steady_clock::time_point start) {
  return Seconds(std::chrono::steady_clock::now() - start).count();
}

// Where the table puts each key: the same parse and pool as the table's,
// with the servers in `ejected` taken out.
std::vector<size_t> Placement(const std::string& memcache_value, const std::vector<std::string>& keys,
                              const std::vector<size_t>& ejected = {}) {
  std::vector<ServerConfig> servers;
  EXPECT_TRUE(ParseServerList(memcache_value, "test", &servers).ok());
  PlacementSettings placement;
  placement.auto_eject_hosts = true;
  placement.server_failure_limit = 1;
  ServerPool pool(servers, placement);
  for (size_t e : ejected) EXPECT_TRUE(pool.RecordFailure(e, ServerPool::TimePoint()));
  std::vector<size_t> where(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) EXPECT_TRUE(pool.ServerFor(keys[k], &where[k]));
  return where;
}

class ServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!servers_.Start(3)) GTEST_SKIP() << "cannot run memcached: " << servers_.error();
  }

  std::string Config(const std::string& memcache_value, const std::string& extra = "") {
    return dir_.WriteFile("mc" + std::to_string(++files_) + ".cf",
                          "memcache = " + memcache_value + "\n" + extra);
  }
  std::unique_ptr<Table> Open(const std::string& cf, bool read_write = true) {
    OpenOptions options;
    options.read_write = read_write;
    std::unique_ptr<Table> table = testutil::OpenOrDie("memcache:" + cf, options);
    if (!table) throw std::runtime_error("cannot open memcache:" + cf);
    return table;
  }
  std::vector<std::string> Keys(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back(Key(i));
    return keys;
  }
  void Load(Table* table, int n) {
    std::vector<KeyValue> entries;
    for (int i = 0; i < n; ++i) entries.push_back({Key(i), Value(i)});
    std::vector<Status> stored;
    table->UpdateMany(entries, &stored);
    for (int i = 0; i < n; ++i) ASSERT_TRUE(stored[i].ok()) << Key(i) << ": " << stored[i].ToString();
  }
  void LoadQuietly(Table* table, int n) {
    testutil::CapturedWarnings quiet;
    Load(table, n);
  }
  // Kills server `server` after `delay`, on another thread.
  std::thread KillAfter(size_t server, std::chrono::milliseconds delay) {
    return std::thread([this, server, delay] {
      std::this_thread::sleep_for(delay);
      servers_[server].Stop();
    });
  }
  std::string Endpoint(size_t server) { return servers_[server].endpoint().substr(5); }

  TempDir dir_;
  MemcachedSet servers_;
  int files_ = 0;
};

TEST_F(ServersTest, EveryKeyOnItsOwnServerForUpdateLookupDelete) {
  std::string value = servers_.MemcacheValue();
  auto table = Open(Config(value));
  const int n = 5000;
  Load(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<size_t> where = Placement(value, keys);
  std::map<std::string, std::vector<size_t>> holders = servers_.Holders(keys);
  std::vector<int> per_server(3);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(holders[keys[i]], std::vector<size_t>{where[i]}) << keys[i];
    ++per_server[where[i]];
  }
  for (int count : per_server) EXPECT_GT(count, n / 5) << "ketama spreads keys roughly evenly";

  std::vector<LookupResult> found;
  table->LookupMany(keys, &found);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(found[i].status.ok()) << keys[i];
    ASSERT_EQ(found[i].value, Value(i));
  }
  std::vector<Status> deleted;
  table->DeleteMany(keys, &deleted);
  for (int i = 0; i < n; ++i) ASSERT_TRUE(deleted[i].ok()) << keys[i] << ": " << deleted[i].ToString();
  for (const auto& [key, where_now] : servers_.Holders(keys)) EXPECT_TRUE(where_now.empty()) << key;
  table->DeleteMany(keys, &deleted);
  for (int i = 0; i < n; ++i) EXPECT_TRUE(deleted[i].IsNotFound()) << keys[i];
}

TEST_F(ServersTest, CacheFillFromTheBackupGoesToTheKeysServer) {
  std::string source;
  for (int i = 0; i < 2000; ++i) source += Key(i) + " " + Value(i) + "\n";
  std::string backup = dir_.WriteFile("backup", source);
  std::string value = servers_.MemcacheValue();
  // Read-only, as texthash requires; lookups still fill the cache.
  auto table = Open(Config(value, "backup = texthash:" + backup + "\n"), false);
  std::vector<std::string> keys = Keys(2000);
  std::vector<LookupResult> found;
  table->LookupMany(keys, &found);
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(found[i].status.ok()) << keys[i];
  std::vector<size_t> where = Placement(value, keys);
  std::map<std::string, std::vector<size_t>> holders = servers_.Holders(keys);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(holders[keys[i]], std::vector<size_t>{where[i]}) << keys[i];
}

TEST_F(ServersTest, DeadServerFailsOnlyItsOwnKeysAtOnce) {
  std::string value = servers_.MemcacheValue();
  std::string cf = Config(value, "timeout = 1\nretry_pause = 1\n");
  auto table = Open(cf);
  const int n = 3000;
  Load(table.get(), n);
  servers_[1].Stop();
  std::vector<std::string> keys = Keys(n);
  std::vector<size_t> where = Placement(value, keys);
  std::vector<LookupResult> found;
  // The table's kept connection to server 1 fails first (a dead peer: one
  // pause), then the new connection is refused, which is not retried.
  auto start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  EXPECT_LT(Since(start), 1 + kSlack);
  // A table that never reached server 1: refused at once.
  table = Open(cf);
  start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  EXPECT_LT(Since(start), kSlack) << "a refused connection is not retried";
  for (int i = 0; i < n; ++i) {
    if (where[i] == 1) {
      EXPECT_TRUE(found[i].status.IsTempError()) << keys[i] << ": " << found[i].status.ToString();
      EXPECT_EQ(found[i].status.message(), Endpoint(1) + ": Connection refused");
    } else {
      ASSERT_TRUE(found[i].status.ok()) << keys[i] << ": " << found[i].status.ToString();
      EXPECT_EQ(found[i].value, Value(i));
    }
  }
}

// A stalled server (FaultServer, never answers) between two real ones:
// the real servers' keys are answered exactly, the stalled server's keys
// fail within its bound, and the call takes that bound, not more.
TEST_F(ServersTest, StalledServerCostsOnlyItsOwnBound) {
  FaultServer stalled;
  ASSERT_TRUE(stalled.ok());
  stalled.Script(FaultAction::Silent(), 10);
  std::string value = servers_[0].endpoint() + ", " + stalled.endpoint() + ", " + servers_[2].endpoint();
  std::string cf = Config(value, "timeout = 1\nmax_try = 2\nretry_pause = 1\n");
  auto table = Open(cf);
  std::vector<std::string> keys = Keys(600);
  std::vector<size_t> where = Placement(value, keys);
  for (int i = 0; i < 600; ++i) {
    if (where[i] == 0) servers_[0].Set(Key(i), Value(i));
    if (where[i] == 2 && i % 2 == 0) servers_[2].Set(Key(i), Value(i));
  }
  testutil::CapturedWarnings warnings;
  std::vector<LookupResult> found;
  auto start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  double seconds = Since(start);
  EXPECT_GE(seconds, 2.9) << "two tries of 1 s and a pause of 1 s on the stalled server";
  EXPECT_LE(seconds, 1 * 2 + 1 * 1 + kSlack);
  EXPECT_EQ(stalled.connections(), 2);
  for (int i = 0; i < 600; ++i) {
    const Status& s = found[i].status;
    if (where[i] == 1) {
      EXPECT_EQ(s.message(), "127.0.0.1:" + std::to_string(stalled.port()) + ": Connection timed out");
    } else if (where[i] == 0 || i % 2 == 0) {
      ASSERT_TRUE(s.ok()) << keys[i] << ": " << s.ToString();
      EXPECT_EQ(found[i].value, Value(i));
    } else {
      EXPECT_TRUE(s.IsNotFound()) << keys[i] << ": " << s.ToString();
    }
  }
  EXPECT_EQ(warnings.joined(), "database memcache:" + cf + ": I/O error: 127.0.0.1:" +
                                 std::to_string(stalled.port()) + ": Connection timed out\n");
}

// Two slow servers (every reply byte 2 ms apart) answer all their keys;
// the second is asked before the first has finished answering: the batch
// went to both at once.
TEST_F(ServersTest, SlowServersAreAskedAtOnceAndAnswerEverything) {
  FaultServer slow_a, slow_b;
  ASSERT_TRUE(slow_a.ok() && slow_b.ok());
  slow_a.Script(FaultAction::Slow(std::chrono::milliseconds(2)), 10);
  slow_b.Script(FaultAction::Slow(std::chrono::milliseconds(2)), 10);
  std::string value = slow_a.endpoint() + " " + servers_[0].endpoint() + " " + slow_b.endpoint();
  auto table = Open(Config(value, "timeout = 5\n"));
  std::vector<std::string> keys = Keys(60);
  std::vector<size_t> where = Placement(value, keys);
  for (int i = 0; i < 60; ++i) {
    if (where[i] == 0) slow_a.Put(Key(i), Value(i));
    if (where[i] == 1) servers_[0].Set(Key(i), Value(i));
    if (where[i] == 2) slow_b.Put(Key(i), Value(i));
  }
  std::vector<LookupResult> found;
  auto start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  double seconds = Since(start);
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(found[i].status.ok()) << keys[i] << ": " << found[i].status.ToString();
    EXPECT_EQ(found[i].value, Value(i));
  }
  ASSERT_EQ(slow_a.AcceptTimes().size(), 1u);
  ASSERT_EQ(slow_b.AcceptTimes().size(), 1u);
  // Each slow reply takes ~2 ms x its length (hundreds of bytes): both
  // connections were opened at the start, not one after the other.
  double a = Seconds(slow_a.AcceptTimes()[0] - start).count();
  double b = Seconds(slow_b.AcceptTimes()[0] - start).count();
  std::printf("[ note ] slow servers accepted at %.3f s and %.3f s; the call took %.3f s\n", a, b, seconds);
  EXPECT_LT(std::max(a, b), seconds / 3) << "the second slow server was asked only after the first";
}

// One real memcached killed in the middle of batch lookups: its keys are
// answered truly until it dies, then fail; the others' keys are always
// answered; after a restart on the same port its keys are reachable again.
TEST_F(ServersTest, KilledMidBatchAndRestartedWithoutEjection) {
  std::string value = servers_.MemcacheValue();
  std::string cf = Config(value, "timeout = 1\nmax_try = 2\n");
  auto table = Open(cf);
  const int n = 300000;
  LoadQuietly(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<size_t> where = Placement(value, keys);
  testutil::CapturedWarnings quiet;
  std::thread killer = KillAfter(1, std::chrono::milliseconds(30));
  std::vector<LookupResult> found;
  bool failing = false;
  for (int round = 0; round < 30 && !failing; ++round) {
    table->LookupMany(keys, &found);
    for (int i = 0; i < n; ++i) {
      const LookupResult& r = found[i];
      if (where[i] != 1) {
        ASSERT_TRUE(r.status.ok()) << keys[i] << " (live server): " << r.status.ToString();
        ASSERT_EQ(r.value, Value(i));
      } else if (r.status.ok()) {
        ASSERT_EQ(r.value, Value(i));
        ASSERT_FALSE(failing) << "an answer from the killed server after its failure: " << keys[i];
      } else {
        ASSERT_TRUE(r.status.IsTempError()) << keys[i] << ": " << r.status.ToString();
        failing = true;
      }
    }
  }
  killer.join();
  EXPECT_TRUE(failing) << "server 1 was killed but all its keys were answered";

  ASSERT_TRUE(servers_[1].Restart()) << servers_[1].error();
  std::vector<std::string> sample = {keys.begin(), keys.begin() + 3000};
  table->LookupMany(sample, &found);
  for (size_t i = 0; i < sample.size(); ++i) {
    if (where[i] == 1) {
      EXPECT_TRUE(found[i].status.IsNotFound()) << sample[i] << ": " << found[i].status.ToString();
    } else {
      EXPECT_TRUE(found[i].status.ok()) << sample[i];
    }
  }
  Load(table.get(), 3000);
  table->LookupMany(sample, &found);
  for (size_t i = 0; i < sample.size(); ++i) EXPECT_EQ(found[i].value, Value(i)) << sample[i];
}

// The same kill with auto_eject_hosts: after server_failure_limit failed
// tries the server is ejected and its unanswered keys are asked of the
// servers twemproxy would use, so no key fails; new keys are stored there;
// after server_retry_timeout the restarted server takes its keys back.
TEST_F(ServersTest, KilledMidBatchWithEjectionMovesItsKeys) {
  std::string value = servers_.MemcacheValue();
  std::string cf = Config(value,
                          "timeout = 1\nmax_try = 2\nretry_pause = 1\nauto_eject_hosts = yes\n"
                          "server_failure_limit = 2\nserver_retry_timeout = 3\n");
  auto table = Open(cf);
  const int n = 300000;
  LoadQuietly(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<size_t> where = Placement(value, keys);
  std::vector<size_t> where_ejected = Placement(value, keys, {1});
  testutil::CapturedWarnings warnings;
  std::thread killer = KillAfter(1, std::chrono::milliseconds(30));
  std::vector<LookupResult> found;
  bool moved = false;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 30 && !moved; ++round) {
    table->LookupMany(keys, &found);
    for (int i = 0; i < n; ++i) {
      const LookupResult& r = found[i];
      ASSERT_FALSE(r.status.IsError()) << keys[i] << ": " << r.status.ToString();
      if (r.status.ok()) {
        ASSERT_EQ(r.value, Value(i));
      } else {
        ASSERT_EQ(where[i], 1u) << keys[i] << " not found on a live server";
        moved = true;
      }
    }
  }
  killer.join();
  EXPECT_TRUE(moved);
  EXPECT_LT(Since(start), 30.0);
  EXPECT_NE(warnings.joined().find("memcache server " + Endpoint(1) + " ejected for 3 s after 2 failed tries"),
            std::string::npos)
      << warnings.joined();

  // Now stored where twemproxy would store them with server 1 ejected.
  std::vector<std::string> sample = {keys.begin(), keys.begin() + 3000};
  Load(table.get(), 3000);
  std::map<std::string, std::vector<size_t>> holders = servers_.Holders(sample);
  for (size_t i = 0; i < sample.size(); ++i) {
    if (where[i] != 1) continue;
    EXPECT_EQ(holders[sample[i]], std::vector<size_t>{where_ejected[i]}) << sample[i];
  }

  // Restarted and past server_retry_timeout: server 1 is back.
  ASSERT_TRUE(servers_[1].Restart()) << servers_[1].error();
  AdvanceDispatchClockForTesting(std::chrono::milliseconds(3100));
  Load(table.get(), 3000);
  holders = servers_.Holders(sample);
  for (size_t i = 0; i < sample.size(); ++i) {
    if (where[i] != 1) continue;
    // The copy stored while server 1 was out stays where it was put.
    std::vector<size_t> expected = {std::min<size_t>(where_ejected[i], 1), std::max<size_t>(where_ejected[i], 1)};
    EXPECT_EQ(holders[sample[i]], expected) << sample[i];
  }
  std::vector<LookupResult> again;
  table->LookupMany(sample, &again);
  for (size_t i = 0; i < sample.size(); ++i) EXPECT_EQ(again[i].value, Value(i)) << sample[i];
}

TEST_F(ServersTest, EveryServerEjectedFailsAtOnce) {
  std::string value = servers_.MemcacheValue();
  std::string cf = Config(value, "auto_eject_hosts = yes\nserver_failure_limit = 1\nretry_pause = 1\n");
  auto table = Open(cf);
  for (size_t s = 0; s < servers_.size(); ++s) servers_[s].Stop();
  testutil::CapturedWarnings quiet;
  std::vector<std::string> keys = Keys(100);
  std::vector<LookupResult> found;
  table->LookupMany(keys, &found);  // each server: one refused try, ejected
  for (const LookupResult& r : found) {
    ASSERT_TRUE(r.status.IsTempError());
    EXPECT_EQ(r.status.message(), "no live memcache server: every server is ejected");
  }
  auto start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  EXPECT_LT(Since(start), 0.1) << "nothing is tried while every server is ejected";
  for (const LookupResult& r : found) EXPECT_EQ(r.status.message(), "no live memcache server: every server is ejected");
}

// Through the command: a dead server's first key in input order stops
// `mctable -q -` after the answers before it (postmap's rule); with
// ejection the run completes.
TEST_F(ServersTest, CommandStopsAtTheFirstKeyOfADeadServerUnlessEjecting) {
  std::string value = servers_.MemcacheValue();
  std::string plain = Config(value, "timeout = 1\n");
  std::string ejecting = Config(value, "timeout = 1\nauto_eject_hosts = yes\n");
  dir_.WriteFile("main.cf", "");
  auto table = Open(plain);
  const int n = 2000;
  Load(table.get(), n);
  servers_[1].Stop();
  std::vector<std::string> keys = Keys(n);
  std::vector<size_t> where = Placement(value, keys);
  std::string input, before_first_dead, all_live;
  bool dead_seen = false;
  for (int i = 0; i < n; ++i) {
    input += keys[i] + "\n";
    if (where[i] == 1) dead_seen = true;
    if (where[i] != 1) {
      all_live += keys[i] + "\t" + Value(i) + "\n";
      if (!dead_seen) before_first_dead += keys[i] + "\t" + Value(i) + "\n";
    }
  }
  auto r = testutil::RunCommand(
      {testutil::MctableBinary(), "-c", dir_.path(), "-q", "-", "memcache:" + plain}, input, 30);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, before_first_dead);
  EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + plain + ": query error: " + Endpoint(1) +
                       ": Connection refused"),
            std::string::npos)
      << r.err;

  r = testutil::RunCommand(
      {testutil::MctableBinary(), "-c", dir_.path(), "-q", "-", "memcache:" + ejecting}, input, 30);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, all_live);
  EXPECT_NE(r.err.find("memcache server " + Endpoint(1) + " ejected"), std::string::npos) << r.err;
}

// Bulk load and batch delete through the command, spread over the servers.
TEST_F(ServersTest, CommandBulkLoadAndDeleteReachEveryServer) {
  std::string value = servers_.MemcacheValue({1, 2, 1});
  std::string cf = Config(value, "hash = fnv1a_64\n");
  dir_.WriteFile("main.cf", "");
  const int n = 20000;
  std::string entries, input;
  for (int i = 0; i < n; ++i) {
    entries += Key(i) + " " + Value(i) + "\n";
    input += Key(i) + "\n";
  }
  auto r = testutil::RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "-i", "memcache:" + cf},
                                entries, 30);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  std::vector<std::string> keys = Keys(n);
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList(value, "t", &servers).ok());
  PlacementSettings placement;
  placement.hash = KeyHash::kFnv1a_64;
  ServerPool pool(servers, placement);
  std::map<std::string, std::vector<size_t>> holders = servers_.Holders(keys);
  std::vector<int> per_server(3);
  for (int i = 0; i < n; ++i) {
    size_t s = 9;
    ASSERT_TRUE(pool.ServerFor(keys[i], &s));
    ASSERT_EQ(holders[keys[i]], std::vector<size_t>{s}) << keys[i];
    ++per_server[s];
  }
  EXPECT_GT(per_server[1], per_server[0]) << "weight 2 takes more keys than weight 1";
  EXPECT_GT(per_server[1], per_server[2]);
  r = testutil::RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "-d", "-", "memcache:" + cf},
                           input, 30);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  for (const auto& [key, where] : servers_.Holders(keys)) EXPECT_TRUE(where.empty()) << key;
}

TEST_F(ServersTest, ConfigurationErrorsNameTheFile) {
  struct Case {
    std::string text, message;
  } cases[] = {
      {"distribution = random\n", ": invalid distribution parameter value \"random\": expected ketama or modula"},
      {"hash = sha1\n", ": invalid hash parameter value \"sha1\": expected one of one_at_a_time, md5, "
                        "crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins"},
      {"hash_tag = {\n", ": invalid hash_tag parameter value \"{\": expected two characters, such as {}"},
      {"auto_eject_hosts = maybe\n", ": invalid auto_eject_hosts parameter value \"maybe\": expected yes or no"},
      {"server_failure_limit = 0\n", ": invalid server_failure_limit parameter value 0 < 1"},
      {"server_retry_timeout = 1s\n", ": bad numerical configuration: server_retry_timeout = 1s"},
  };
  for (const Case& c : cases) {
    std::string cf = Config(servers_.MemcacheValue(), c.text);
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + cf, OpenOptions(), &table);
    EXPECT_TRUE(s.IsConfigError()) << c.text;
    EXPECT_EQ(s.message(), cf + c.message);
  }
}

}  // namespace
}  // namespace mctable
