// Replicas (replicas = N): three real memcached servers, killed, stopped
// (SIGSTOP), continued and restarted empty by the test.
//
// What must hold, one test each: a dead server loses nothing during a
// `mctable -q -` batch; a stalled server costs one timeout per call, and
// with ejection later calls go straight to the live copy; a server that
// comes back empty is refilled by reads with the remaining TTL; a write
// that misses a copy (a partition) fails so the caller retries, and after
// the retry nothing old comes back; writes reach every copy at once, and
// one that reached no copy names the key; mctabled's socketmap answers
// through a dead server and its stats count failovers, read-repairs and
// writes that missed a copy.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mctable/table.h"
#include "memcache/dispatch_clock.h"
#include "memcache/server_list.h"
#include "memcache/server_pool.h"
#include "testutil/child_process.h"
#include "testutil/mctabled_process.h"
#include "testutil/memcached_set.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::MemcachedSet;
using testutil::TempDir;

std::string Key(int i) { return "rkey" + std::to_string(i); }
std::string Value(int i) { return "value-of-" + std::to_string(i); }

class ReplicasTest : public ::testing::Test {
 protected:
  // One set of servers for the whole process; each test gets them running,
  // not stopped, and empty.
  static void SetUpTestSuite() {
    servers_ = new MemcachedSet;
    if (!servers_->Start(3)) start_error_ = servers_->error();
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }
  void SetUp() override {
    if (!start_error_.empty()) GTEST_SKIP() << "cannot run memcached: " << start_error_;
    for (size_t s = 0; s < servers_->size(); ++s) {
      Server(s).Signal(SIGCONT);
      if (!Server(s).running()) {
        ASSERT_TRUE(Server(s).Restart()) << Server(s).error();
      }
      ASSERT_EQ(Server(s).RawCommand("flush_all\r\n", "\r\n"), "OK\r\n");
    }
    value_ = servers_->MemcacheValue();
  }
  void TearDown() override {
    if (!servers_) return;
    for (size_t s = 0; s < servers_->size(); ++s) Server(s).Signal(SIGCONT);
  }

  testutil::MemcachedServer& Server(size_t s) { return (*servers_)[s]; }
  std::string Endpoint(size_t s) { return Server(s).endpoint().substr(5); }
  // Keys server s was asked for (memcached's cmd_get counts each key).
  long GetCount(size_t s) {
    std::string stats = Server(s).RawCommand("stats\r\n", "END\r\n");
    size_t at = stats.find("STAT cmd_get ");
    return at == std::string::npos ? -1 : std::stol(stats.substr(at + 13));
  }

  std::string Config(const std::string& extra, const std::string& memcache = "") {
    return dir_.WriteFile("r" + std::to_string(++files_) + ".cf",
                          "memcache = " + (memcache.empty() ? value_ : memcache) + "\n" + extra);
  }
  std::unique_ptr<Table> Open(const std::string& cf) {
    OpenOptions options;
    options.read_write = true;
    std::unique_ptr<Table> table = testutil::OpenOrDie("memcache:" + cf, options);
    if (!table) throw std::runtime_error("cannot open memcache:" + cf);
    return table;
  }
  // Each key's copies, as the table places them (replicas = 2).
  std::vector<std::vector<size_t>> Copies(const std::vector<std::string>& keys) {
    std::vector<ServerConfig> list;
    EXPECT_TRUE(ParseServerList(value_, "test", &list).ok());
    PlacementSettings placement;
    placement.replicas = 2;
    ServerPool pool(list, placement);
    std::vector<std::vector<size_t>> copies(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) pool.CopiesFor(keys[k], &copies[k]);
    return copies;
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
  CommandResult Mctable(const std::vector<std::string>& args, const std::string& input) {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv, input, 120);
  }

  static MemcachedSet* servers_;
  static std::string start_error_;
  TempDir dir_;
  std::string value_;
  int files_ = 0;
};

MemcachedSet* ReplicasTest::servers_ = nullptr;
std::string ReplicasTest::start_error_;

// Placement: the first copy is where twemproxy (replicas = 1) puts the
// key; the second is another server; both hold the key after an update.
TEST_F(ReplicasTest, EveryKeyIsOnItsTwoCopiesTheFirstWhereTwemproxyPutsIt) {
  auto table = Open(Config("replicas = 2\n"));
  const int n = 3000;
  Load(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  std::vector<ServerConfig> list;
  ASSERT_TRUE(ParseServerList(value_, "test", &list).ok());
  ServerPool single(list, PlacementSettings());
  std::map<std::string, std::vector<size_t>> holders = servers_->Holders(keys);
  std::vector<int> second_on(3);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(copies[i].size(), 2u);
    size_t first = 9;
    ASSERT_TRUE(single.ServerFor(keys[i], &first));
    EXPECT_EQ(copies[i][0], first) << keys[i];
    EXPECT_NE(copies[i][1], copies[i][0]) << keys[i];
    std::vector<size_t> expected = {std::min(copies[i][0], copies[i][1]), std::max(copies[i][0], copies[i][1])};
    EXPECT_EQ(holders[keys[i]], expected) << keys[i];
    ++second_on[copies[i][1]];
  }
  for (int s = 0; s < 3; ++s) EXPECT_GT(second_on[s], n / 10) << "server " << s << " holds few second copies";
}

// 1. kill -9 of one server in the middle of a `-q -` batch of 100,000 keys
// loaded with -i: every key is printed with its value, nothing fails, and
// the batch takes at most one try bound longer than with every server up.
TEST_F(ReplicasTest, DeadServerLosesNothingDuringACommandBatch) {
  const std::string cf = Config("replicas = 2\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n");
  dir_.WriteFile("main.cf", "");
  const int n = 100000;
  std::string entries, input, expected;
  for (int i = 0; i < n; ++i) {
    entries += Key(i) + " " + Value(i) + "\n";
    input += Key(i) + "\n";
    expected += Key(i) + "\t" + Value(i) + "\n";
  }
  CommandResult r = Mctable({"-i", "memcache:" + cf}, entries);
  ASSERT_EQ(r.exit_status, 0) << r.err;
  auto start = std::chrono::steady_clock::now();
  CommandResult baseline = Mctable({"-q", "-", "memcache:" + cf}, input);
  const double baseline_seconds = testutil::SecondsSince(start);
  ASSERT_EQ(baseline.exit_status, 0) << baseline.err;
  ASSERT_EQ(baseline.out, expected);

  testutil::ChildProcess query({testutil::MctableBinary(), "-c", dir_.path(), "-q", "-", "memcache:" + cf},
                               true);
  ASSERT_TRUE(query.started());
  start = std::chrono::steady_clock::now();
  const size_t half = input.find(Key(n / 2) + "\n");
  ASSERT_TRUE(query.Write(input.substr(0, half)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Server(1).Stop();  // SIGKILL
  ASSERT_TRUE(query.Write(input.substr(half)));
  query.CloseStdin();
  CommandResult killed = query.Wait(60);
  const double killed_seconds = testutil::SecondsSince(start);
  EXPECT_EQ(killed.exit_status, 0) << killed.err;
  EXPECT_TRUE(killed.out == expected) << "output differs from every key with its value";
  EXPECT_EQ(killed.err.find("fatal"), std::string::npos) << killed.err;
  // One call's bound for the server that died: timeout x max_try +
  // retry_pause x (max_try - 1) = 3 s, plus slack for a loaded machine.
  EXPECT_LT(killed_seconds, baseline_seconds + 3.0 + 2.0)
      << "baseline " << baseline_seconds << " s, with the kill " << killed_seconds << " s";
}

// 2. SIGSTOP: the first call pays one timeout (max_try = 1) for the whole
// batch, not one per key, and ejects the server; the next call goes to the
// live copies at once.
TEST_F(ReplicasTest, StalledServerCostsOneTimeoutThenLookupsGoToTheLiveCopy) {
  auto table = Open(Config("replicas = 2\ntimeout = 1\nmax_try = 1\nauto_eject_hosts = yes\n"
                           "server_failure_limit = 1\nserver_retry_timeout = 60\n"));
  const int n = 20000;
  Load(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  size_t first_on_stalled = 0;
  for (const auto& c : copies) first_on_stalled += c[0] == 1;
  ASSERT_GT(first_on_stalled, 1000u);

  testutil::CapturedWarnings warnings;
  Server(1).Signal(SIGSTOP);
  std::vector<LookupResult> found;
  auto start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  double first_call = testutil::SecondsSince(start);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(found[i].status.ok()) << keys[i] << ": " << found[i].status.ToString();
    ASSERT_EQ(found[i].value, Value(i));
  }
  EXPECT_LT(first_call, 1.0 + 1.0) << "more than one timeout (1 s) for the stalled server";
  EXPECT_NE(warnings.joined().find("memcache server " + Endpoint(1) + " ejected"), std::string::npos)
      << warnings.joined();
  EXPECT_EQ(table->counters().replica_failovers, first_on_stalled);

  start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &found);
  double second_call = testutil::SecondsSince(start);
  for (int i = 0; i < n; ++i) ASSERT_EQ(found[i].value, Value(i)) << keys[i];
  EXPECT_LT(second_call, 0.5) << "the ejected server was waited for again";
  // Ejected, it is skipped rather than failed over from.
  EXPECT_EQ(table->counters().replica_failovers, first_on_stalled);

  // After server_retry_timeout (moved on, not slept) the server is asked again.
  Server(1).Signal(SIGCONT);
  AdvanceDispatchClockForTesting(std::chrono::seconds(61));
  const long gets_before = GetCount(1);
  table->LookupMany(keys, &found);
  for (int i = 0; i < n; ++i) ASSERT_EQ(found[i].value, Value(i)) << keys[i];
  EXPECT_GE(GetCount(1) - gets_before, static_cast<long>(first_on_stalled));
}

// 3. A server restarted empty is refilled by reads: keys whose first copy
// it is are copied back from the second copy with the TTL they had left,
// not the table's ttl; then that server alone answers them.
TEST_F(ReplicasTest, ServerRestartedEmptyIsRefilledByReadsWithTheRemainingTtl) {
  auto loader = Open(Config("replicas = 2\nttl = 600\n"));
  const int n = 3000;
  Load(loader.get(), n);
  ASSERT_TRUE(Server(0).Restart()) << Server(0).error();
  // The reading table's ttl differs: a repair that used it would show.
  auto table = Open(Config("replicas = 2\nttl = 5000\n"));
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  std::vector<LookupResult> found;
  table->LookupMany(keys, &found);
  uint64_t expected_repairs = 0;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(found[i].status.ok()) << keys[i] << ": " << found[i].status.ToString();
    ASSERT_EQ(found[i].value, Value(i));
    expected_repairs += copies[i][0] == 0;
  }
  ASSERT_GT(expected_repairs, 500u);
  EXPECT_EQ(table->counters().read_repairs, expected_repairs);
  EXPECT_EQ(table->counters().replica_failovers, 0u) << "a miss is not a failure";

  auto alone = Open(Config("", Server(0).endpoint()));
  int checked_ttl = 0;
  for (int i = 0; i < n; ++i) {
    if (copies[i][0] != 0) continue;
    std::string value;
    ASSERT_TRUE(alone->Lookup(keys[i], &value).ok()) << keys[i] << " not refilled";
    EXPECT_EQ(value, Value(i));
    if (checked_ttl++ < 20) {
      std::string reply = Server(0).RawCommand("mg " + keys[i] + " t\r\n", "\r\n");
      ASSERT_TRUE(reply.starts_with("HD t")) << reply;
      int ttl = std::stoi(reply.substr(4));
      EXPECT_GT(ttl, 500) << reply;
      EXPECT_LE(ttl, 600) << reply;
    }
  }
  // Keys with no expiry keep none.
  Server(1).Set("forever", "v", 7, 0);
  Server(2).Set("forever", "v", 7, 0);
  Server(0).Set("forever", "v", 7, 0);
  std::vector<std::vector<size_t>> forever = Copies({"forever"});
  ASSERT_EQ(Server(forever[0][0]).RawCommand("delete forever\r\n", "\r\n"), "DELETED\r\n");
  std::string value;
  ASSERT_TRUE(table->Lookup("forever", &value).ok());
  EXPECT_EQ(Server(forever[0][0]).RawCommand("mg forever t f\r\n", "\r\n"), "HD t-1 f7\r\n");
}

// 4. No resurrection.  A partition (the second copy's server stopped, so
// the client times out; its old entries restored after SIGCONT, as if the
// commands never reached it) makes every delete and update that missed a
// copy fail, naming the key, so the caller retries; after the retry no
// deleted key and no older value comes back, from either copy.
TEST_F(ReplicasTest, WriteThatMissesACopyFailsAndItsRetryLeavesNothingOld) {
  auto table = Open(Config("replicas = 2\ntimeout = 1\nmax_try = 1\n"));
  const int n = 400;
  Load(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  std::vector<std::string> to_delete;
  std::vector<KeyValue> to_update;
  std::vector<int> deleted_index, updated_index;
  for (int i = 0; i < n; ++i) {
    if (copies[i][0] != 1 && copies[i][1] != 1) continue;  // not on the partitioned server
    if (i % 2 == 0) {
      to_delete.push_back(keys[i]);
      deleted_index.push_back(i);
    } else {
      to_update.push_back({keys[i], "newer-" + Value(i)});
      updated_index.push_back(i);
    }
  }
  ASSERT_GT(to_delete.size(), 50u);

  Server(1).Signal(SIGSTOP);
  std::vector<Status> deleted, updated;
  {
    testutil::CapturedWarnings quiet;
    table->DeleteMany(to_delete, &deleted);
    table->UpdateMany(to_update, &updated);
  }
  for (size_t k = 0; k < to_delete.size(); ++k) {
    ASSERT_TRUE(deleted[k].IsTempError()) << to_delete[k] << ": " << deleted[k].ToString();
    EXPECT_NE(deleted[k].message().find("delete of key \"" + to_delete[k] + "\" reached 1 of 2 copies"),
              std::string::npos)
        << deleted[k].message();
    EXPECT_NE(deleted[k].message().find(Endpoint(1)), std::string::npos) << deleted[k].message();
  }
  for (size_t k = 0; k < to_update.size(); ++k)
    EXPECT_NE(updated[k].message().find("update of key \"" + to_update[k].key + "\" reached 1 of 2 copies"),
              std::string::npos)
        << updated[k].ToString();
  EXPECT_EQ(table->counters().writes_missed_copy, to_delete.size() + to_update.size());

  // The partition heals; server 1 still has what it had before (the
  // commands the client abandoned in its socket are let through first).
  Server(1).Signal(SIGCONT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i : deleted_index) Server(1).Set(keys[i], Value(i));
  for (int i : updated_index) Server(1).Set(keys[i], Value(i));

  bool present = false;
  Server(1).Get(keys[deleted_index[0]], &present);
  ASSERT_TRUE(present);
  // The caller retries what failed.
  table->DeleteMany(to_delete, &deleted);
  for (size_t k = 0; k < to_delete.size(); ++k) EXPECT_TRUE(deleted[k].ok()) << deleted[k].ToString();
  table->UpdateMany(to_update, &updated);
  for (size_t k = 0; k < to_update.size(); ++k) EXPECT_TRUE(updated[k].ok()) << updated[k].ToString();

  std::vector<LookupResult> found;
  table->LookupMany(to_delete, &found);
  for (size_t k = 0; k < to_delete.size(); ++k)
    EXPECT_TRUE(found[k].status.IsNotFound()) << to_delete[k] << " came back: " << found[k].value;
  for (const auto& [key, where] : servers_->Holders(to_delete)) EXPECT_TRUE(where.empty()) << key;
  std::vector<std::string> update_keys;
  for (const KeyValue& kv : to_update) update_keys.push_back(kv.key);
  for (size_t s = 0; s < 3; ++s) {
    for (int i : updated_index) {
      if (copies[i][0] != s && copies[i][1] != s) continue;
      EXPECT_EQ(Server(s).Get(keys[i], &present), "newer-" + Value(i)) << keys[i] << " on server " << s;
    }
  }
  table->LookupMany(update_keys, &found);
  for (size_t k = 0; k < to_update.size(); ++k) EXPECT_EQ(found[k].value, to_update[k].value);
}

// 5. Writes go to both copies at once: a stalled copy costs one timeout for
// the whole batch.  A write that reached no copy is an error naming the
// key; a delete that found nothing anywhere is "not found".
TEST_F(ReplicasTest, WritesReachEveryCopyAtOnceAndAWriteThatReachedNoCopyNamesTheKey) {
  const std::string cf = Config("replicas = 2\ntimeout = 1\nmax_try = 1\n");
  auto table = Open(cf);
  const int n = 6000;
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  Server(2).Signal(SIGSTOP);
  std::vector<KeyValue> entries;
  for (int i = 0; i < n; ++i) entries.push_back({keys[i], Value(i)});
  std::vector<Status> stored;
  auto start = std::chrono::steady_clock::now();
  {
    testutil::CapturedWarnings quiet;
    table->UpdateMany(entries, &stored);
  }
  EXPECT_LT(testutil::SecondsSince(start), 1.0 + 1.0);
  for (int i = 0; i < n; ++i) {
    bool on_stalled = copies[i][0] == 2 || copies[i][1] == 2;
    EXPECT_EQ(stored[i].ok(), !on_stalled) << keys[i] << ": " << stored[i].ToString();
  }
  Server(2).Signal(SIGCONT);

  Server(0).Stop();
  Server(1).Stop();
  std::vector<Status> deleted;
  {
    testutil::CapturedWarnings quiet;
    table->DeleteMany(keys, &deleted);
  }
  for (int i = 0; i < n; ++i) {
    bool reachable = copies[i][0] == 2 || copies[i][1] == 2;
    if (reachable) {
      EXPECT_NE(deleted[i].message().find("reached 1 of 2 copies"), std::string::npos) << deleted[i].ToString();
    } else {
      EXPECT_TRUE(deleted[i].message().starts_with("memcache:" + cf + ": delete of key \"" + keys[i] +
                                                   "\" reached no copy: " + Endpoint(copies[i][0]) + ": "))
          << deleted[i].message();
    }
  }
  ASSERT_TRUE(Server(0).Restart());
  ASSERT_TRUE(Server(1).Restart());
  ASSERT_EQ(Server(2).RawCommand("flush_all\r\n", "\r\n"), "OK\r\n");
  Status gone = table->Delete(keys[0]);
  EXPECT_TRUE(gone.IsNotFound()) << gone.ToString();
}

// 5, with quiet meta writes: memcached's error lines name no key, so a
// value too large for one server (-I 4k there) fails its whole chunk on
// that server -- reported, never silent, and not resent -- while the other
// copy takes every key.  Nothing reported stored is missing anywhere.
TEST_F(ReplicasTest, AValueTooLargeForOneServerFailsItsQuietChunkThereAndIsReported) {
  testutil::MemcachedServer::Options options;
  options.max_item_size_kb = 4;
  options.extra_args = {"-o", "slab_chunk_max=2048"};  // memcached wants it <= -I
  testutil::MemcachedServer small(options);
  ASSERT_TRUE(small.Start()) << small.error();
  const std::string cf = Config("replicas = 2\nmax_try = 2\n", small.endpoint() + ", " + Server(0).endpoint());
  auto table = Open(cf);
  const int n = 600, big = 300;
  std::vector<KeyValue> entries;
  for (int i = 0; i < n; ++i) entries.push_back({Key(i), i == big ? std::string(8000, 'x') : Value(i)});
  std::vector<Status> stored;
  {
    testutil::CapturedWarnings quiet;
    table->UpdateMany(entries, &stored);
  }
  // Each server's share goes in input order, 256 commands a chunk: the big
  // value's chunk on the small server is keys 256..511.
  const std::string small_name = small.endpoint().substr(5);
  for (int i = 0; i < n; ++i) {
    if (i < 256 || i >= 512) {
      EXPECT_TRUE(stored[i].ok()) << Key(i) << ": " << stored[i].ToString();
      continue;
    }
    ASSERT_TRUE(stored[i].IsTempError()) << Key(i);
    EXPECT_TRUE(stored[i].message().starts_with(
        "memcache:" + cf + ": update of key \"" + Key(i) + "\" reached 1 of 2 copies (" + small_name +
        ": update failed: SERVER_ERROR object too large for cache (in a chunk of 256 quiet writes, key \"" +
        Key(256) + "\" to key \"" + Key(511) + "\""))
        << stored[i].message();
  }
  for (int i = 0; i < n; ++i) {
    bool found = false;
    EXPECT_EQ(Server(0).Get(Key(i), &found), entries[i].value) << Key(i);
    EXPECT_TRUE(found) << Key(i) << " is on its other copy";
    std::string on_small = small.Get(Key(i), &found);
    if (stored[i].ok()) {
      EXPECT_EQ(on_small, entries[i].value) << Key(i) << " reported stored";
    }
    if (i == big) {
      EXPECT_FALSE(found);
    }
  }
  // The failed chunk was sent once: the small server stored each other key
  // once (a resend would count its 255 again; memcached does not count the
  // value it refused).
  std::string stats = small.RawCommand("stats\r\n", "END\r\n");
  size_t at = stats.find("STAT cmd_set ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(std::stol(stats.substr(at + 13)), n - 1);
}

TEST_F(ReplicasTest, MoreReplicasThanServersIsAConfigurationErrorNamingTheTable) {
  const std::string cf = Config("replicas = 4\n");
  std::unique_ptr<Table> table;
  OpenOptions options;
  Status s = OpenTable("memcache:" + cf, options, &table);
  ASSERT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find("memcache:" + cf + ": replicas = 4 is more than the 3 servers"),
            std::string::npos)
      << s.message();
  const std::string zero = Config("replicas = 0\n");
  s = OpenTable("memcache:" + zero, options, &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
}

// 6. mctabled: socketmap lookups through a dead server all answer, and the
// stats show the failovers, read-repairs and writes that missed a copy.
TEST_F(ReplicasTest, MctabledSocketmapAnswersThroughADeadServerAndCountsIt) {
  const std::string cf = Config("replicas = 2\ntimeout = 1\nmax_try = 1\n");
  auto table = Open(cf);
  const int n = 300;
  Load(table.get(), n);
  std::vector<std::string> keys = Keys(n);
  std::vector<std::vector<size_t>> copies = Copies(keys);
  // Server 0 comes back empty (read-repairs), server 1 dies (failovers).
  ASSERT_TRUE(Server(0).Restart());
  Server(1).Stop();

  dir_.WriteFile("main.cf", "");
  const std::string socket = dir_.path() + "/sm";
  const std::string stats_socket = dir_.path() + "/stats";
  testutil::MctabledProcess daemon;
  ASSERT_TRUE(daemon.Start({"-m", "r=memcache:" + cf, "-l", "socketmap:unix:" + socket, "-l",
                            "stats:unix:" + stats_socket, "-c", dir_.path()},
                           "unix:" + socket))
      << daemon.error();
  testutil::LineClient client("unix:" + socket);
  uint64_t failovers = 0, repairs = 0, asked = 0;
  for (int i = 0; i < n; ++i) {
    // Both copies gone (one empty, one dead): truly lost, not asked.
    if ((copies[i][0] == 0 || copies[i][1] == 0) && (copies[i][0] == 1 || copies[i][1] == 1)) continue;
    ++asked;
    ASSERT_TRUE(client.Send(testutil::SocketmapRequest("r", keys[i])));
    ASSERT_EQ(client.ReadNetstring(), "OK " + Value(i)) << keys[i];
    failovers += copies[i][0] == 1;
    repairs += copies[i][0] == 0;
  }
  ASSERT_GT(failovers, 0u);
  ASSERT_GT(repairs, 0u);
  testutil::LineClient stats("unix:" + stats_socket);
  std::string text = stats.ReadBytes(100000, 2);
  EXPECT_NE(text.find("map r: lookups=" + std::to_string(asked) + " hits=" + std::to_string(asked) +
                      " misses=0 errors=0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" failovers=" + std::to_string(failovers) + " read_repairs=" +
                      std::to_string(repairs) + " writes_missed_copy=0"),
            std::string::npos)
      << text;
  daemon.Stop();
}

}  // namespace
}  // namespace mctable
