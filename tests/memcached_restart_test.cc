// A real memcached killed in the middle of batch operations, then started
// again: no key may be reported with a wrong value, found when it was not
// asked about, or stored when memcached did not say so; the answers before
// the failure stand, the rest fail; the table works again on restart.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mctable/log.h"
#include "mctable/table.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::MemcachedServer;
using testutil::TempDir;

constexpr int kKeys = 300000;

std::string Key(int i) { return "key" + std::to_string(i); }
std::string Value(int i) { return "value-of-" + std::to_string(i); }

class MemcachedRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    quiet_ = SetLogSink([](LogLevel, std::string_view) {});
  }
  void TearDown() override { SetLogSink(quiet_); }

  std::string Config() {
    return dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() +
                                       "\nkey_format = r:%s\ntimeout = 1\nmax_try = 2\n");
  }
  std::unique_ptr<Table> Open() {
    OpenOptions options;
    options.read_write = true;
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + Config(), options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }
  void Load(Table* table) {
    std::vector<KeyValue> entries;
    for (int i = 0; i < kKeys; ++i) entries.push_back({Key(i), Value(i)});
    std::vector<Status> stored;
    table->UpdateMany(entries, &stored);
    for (const Status& s : stored) ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Kills memcached after `delay` on another thread.
  std::thread KillAfter(std::chrono::milliseconds delay) {
    return std::thread([this, delay] {
      std::this_thread::sleep_for(delay);
      server_.Stop();
    });
  }

  TempDir dir_;
  MemcachedServer server_;
  LogSink quiet_;
};

TEST_F(MemcachedRestartTest, KilledDuringBatchLookup) {
  auto table = Open();
  Load(table.get());
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(Key(i));
  // Several rounds so that the kill lands inside one of them.
  std::vector<LookupResult> results;
  std::thread killer = KillAfter(std::chrono::milliseconds(30));
  int ok = 0, failed = 0;
  bool failing = false;
  for (int round = 0; round < 20; ++round) {
    table->LookupMany(keys, &results);
    ASSERT_EQ(results.size(), keys.size());
    for (int i = 0; i < kKeys; ++i) {
      const LookupResult& r = results[i];
      if (r.status.ok()) {
        ASSERT_EQ(r.value, Value(i)) << "wrong value for " << keys[i];
        ASSERT_FALSE(failing) << "an answer after the failure, at " << keys[i];
        ++ok;
      } else {
        // Every key is present: a miss would be a lie.
        ASSERT_TRUE(r.status.IsTempError()) << keys[i] << ": " << r.status.ToString();
        failing = true;
        ++failed;
      }
    }
    if (failing) break;
  }
  killer.join();
  EXPECT_TRUE(failing) << "memcached was killed but every lookup succeeded";
  EXPECT_GT(failed, 0);

  // Started again (empty, on a new port): the table reconnects and answers.
  ASSERT_TRUE(server_.Start());
  table = Open();
  std::string value;
  EXPECT_TRUE(table->Lookup(Key(1), &value).IsNotFound());
  ASSERT_TRUE(table->Update(Key(1), "again").ok());
  ASSERT_TRUE(table->Lookup(Key(1), &value).ok());
  EXPECT_EQ(value, "again");
}

TEST_F(MemcachedRestartTest, KilledDuringBulkLoadReportsOnlyWhatWasStored) {
  auto table = Open();
  std::vector<KeyValue> entries;
  for (int i = 0; i < kKeys; ++i) entries.push_back({Key(i), Value(i)});
  std::vector<Status> stored;
  std::thread killer = KillAfter(std::chrono::milliseconds(30));
  bool failing = false;
  for (int round = 0; round < 20 && !failing; ++round) {
    table->UpdateMany(entries, &stored);
    for (const Status& s : stored) {
      if (!s.ok()) {
        ASSERT_TRUE(s.IsTempError()) << s.ToString();
        failing = true;
      } else {
        ASSERT_FALSE(failing) << "a store reported after the failure";
      }
    }
  }
  killer.join();
  EXPECT_TRUE(failing);
}

TEST_F(MemcachedRestartTest, CommandKilledMidBatchPrintsOnlyTrueAnswers) {
  auto table = Open();
  Load(table.get());
  dir_.WriteFile("main.cf", "");
  std::string input, expected;
  for (int i = 0; i < kKeys; ++i) {
    input += Key(i) + "\n";
    expected += Key(i) + "\t" + Value(i) + "\n";
  }
  std::string cf = Config();
  std::thread killer = KillAfter(std::chrono::milliseconds(60));
  testutil::CommandResult r = testutil::RunCommand(
      {testutil::MctableBinary(), "-c", dir_.path(), "-q", "-", "memcache:" + cf}, input, 60);
  killer.join();
  // Whatever was printed is a prefix of the true answers, in input order.
  ASSERT_EQ(expected.compare(0, r.out.size(), r.out), 0) << "output is not a prefix of the truth";
  if (r.out.size() < expected.size()) {
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + cf + ": query error: "), std::string::npos)
        << r.err;
  } else {
    std::printf("[ note ] the command finished before memcached was killed\n");
    EXPECT_EQ(r.exit_status, 0);
  }
}

}  // namespace
}  // namespace mctable
