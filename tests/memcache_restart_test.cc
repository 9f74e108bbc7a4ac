// The memcache table against a real memcached that is killed, restarted
// and given extreme values: what survives, what the backup keeps.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/fault_fixture.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::Bound;
using testutil::CapturedWarnings;
using testutil::HasType;
using testutil::kSlack;
using testutil::MemcachedServer;
using testutil::Since;
using testutil::TempDir;

class FaultRealServerTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(FaultRealServerTest, EmptyAndOneMegabyteValues) {
  MemcachedServer::Options mo;
  mo.max_item_size_kb = 2048;
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string cf = dir_.WriteFile(
      "mc.cf", "memcache = " + mc.endpoint() +
                   "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\ndata_size_limit = 1100000\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable("memcache:" + cf, options, &table).ok());
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  big[1000] = '\r';
  big[1001] = '\n';
  big.replace(5000, 7, "\r\nEND\r\n");  // data that looks like protocol stays data
  EXPECT_TRUE(table->Update("empty", "").ok());
  EXPECT_TRUE(table->Update("big", big).ok());
  std::string value = "junk";
  Status s = table->Lookup("empty", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "");
  s = table->Lookup("big", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(value == big) << "1 MB value differs (size " << value.size() << ")";
  bool found = false;
  EXPECT_EQ(mc.Get("big", &found).size(), big.size());
  EXPECT_TRUE(found);
}

TEST_F(FaultRealServerTest, KilledAndRestartedBetweenOperations) {
  MemcachedServer::Options mo;
  mo.unix_socket = true;
  mo.socket_dir = dir_.path();
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string endpoint = mc.endpoint();
  std::string cf = dir_.WriteFile(
      "mc.cf", "memcache = " + endpoint + "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable("memcache:" + cf, options, &table).ok());
  ASSERT_TRUE(table->Update("k", "v1").ok());
  std::string value;
  ASSERT_TRUE(table->Lookup("k", &value).ok());
  EXPECT_EQ(value, "v1");

  mc.Stop();
  {
    CapturedWarnings log;
    auto start = std::chrono::steady_clock::now();
    Status s = table->Lookup("k", &value);
    EXPECT_TRUE(s.IsTempError()) << s.ToString();
    EXPECT_LE(Since(start), Bound(1, 2, 1));
  }
  ASSERT_TRUE(mc.Start()) << mc.error();
  ASSERT_EQ(mc.endpoint(), endpoint) << "restarted on another socket";
  // memcached lost its data: not found, then the table works again.
  Status s = table->Lookup("k", &value);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(table->Update("k", "v2").ok());
  EXPECT_TRUE(table->Lookup("k", &value).ok());
  EXPECT_EQ(value, "v2");

  // Killed while the table holds an idle connection: the next operation
  // reconnects (one failed try, one pause) and gets the right answer.
  mc.Stop();
  ASSERT_TRUE(mc.Start()) << mc.error();
  mc.Set("k", "v3");
  auto start = std::chrono::steady_clock::now();
  s = table->Lookup("k", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v3");
  EXPECT_LE(Since(start), Bound(1, 2, 1));
}

TEST_F(FaultRealServerTest, BackupKeepsWhatItAcceptedWhileMemcacheIsDown) {
  std::string type = HasType("lmdb") ? "lmdb" : "";
  if (type.empty()) GTEST_SKIP() << "lmdb table type not registered (texthash is read-only)";
  MemcachedServer::Options mo;
  mo.unix_socket = true;
  mo.socket_dir = dir_.path();
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string backup = type + ":" + dir_.path() + "/backup";
  {
    OpenOptions create;
    create.read_write = create.create = true;
    std::unique_ptr<Table> b;
    Status s = OpenTable(backup, create, &b);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(b->Update("old", "o").ok());
    ASSERT_TRUE(b->Close().ok());
  }
  std::string cf = dir_.WriteFile("mc.cf", "memcache = " + mc.endpoint() +
                                               "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n"
                                               "key_format = t:%s\nbackup = " + backup + "\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + cf, options, &table);
  ASSERT_TRUE(s.ok()) << s.ToString();

  ASSERT_TRUE(table->Update("k1", "v1").ok());
  bool found = false;
  EXPECT_EQ(mc.Get("t:k1", &found), "v1");
  EXPECT_TRUE(found) << "update goes to memcache too";

  mc.Stop();
  {
    CapturedWarnings log;
    auto start = std::chrono::steady_clock::now();
    s = table->Update("k2", "v2");
    EXPECT_TRUE(s.ok()) << "with a backup the result is the backup's: " << s.ToString();
    s = table->Delete("k1");
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = table->Delete("old");
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_LE(Since(start), Bound(1, 2, 1) + kSlack);
    EXPECT_FALSE(log.lines().empty()) << "memcache being down is not silent";
  }
  // What the backup accepted is in the file, read by an independent handle.
  {
    std::unique_ptr<Table> b;
    ASSERT_TRUE(OpenTable(backup, OpenOptions(), &b).ok());
    std::string v;
    EXPECT_TRUE(b->Lookup("k2", &v).ok());
    EXPECT_EQ(v, "v2");
    EXPECT_TRUE(b->Lookup("k1", &v).IsNotFound());
    EXPECT_TRUE(b->Lookup("old", &v).IsNotFound());
  }
  // A lookup while memcache is down falls back to the backup.
  std::string value;
  s = table->Lookup("k2", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v2");

  ASSERT_TRUE(mc.Start()) << mc.error();
  s = table->Lookup("k2", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(mc.Get("t:k2", &found), "v2");
  EXPECT_TRUE(found) << "a backup hit is written back to memcache";
  EXPECT_TRUE(table->Lookup("k1", &value).IsNotFound());
  EXPECT_TRUE(table->Lookup("old", &value).IsNotFound());
  ASSERT_TRUE(table->Close().ok());
}

}  // namespace
}  // namespace mctable
