// The memcache table with each persistent backup type: miss, backup hit and
// cache fill, update, delete and first/next through the backup, and
// memcached down while the backup still answers.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "table/build_table.h"
#include "table/source_reader.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::MemcachedServer;
using testutil::TempDir;

bool Writable(const std::string& type) { return type != "cdb" && type != "texthash"; }

class MemcacheBackupTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    type_ = GetParam();
    if (!testutil::HaveTableType(type_)) GTEST_SKIP() << type_ << " is not built in (library missing at build time)";
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    std::string source = dir_.WriteFile("backup", "alice@example.com alice-v\nbob@example.com bob-v\n");
    backup_ = type_ + ":" + source;
    if (type_ != "texthash") {
      SourceReader reader(source, "alice@example.com alice-v\nbob@example.com bob-v\n", {});
      Status s = BuildTableFromReader(backup_, OpenOptions(), false, &reader);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  std::unique_ptr<Table> Open(bool read_write) {
    std::string cf = dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() +
                                                 "\nkey_format = bk:%s\nttl = 300\nflags = 3\n"
                                                 "max_try = 1\nbackup = " + backup_ + "\n");
    OpenOptions options;
    options.read_write = read_write;
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + cf, options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  std::string type_, backup_;
  TempDir dir_;
  MemcachedServer server_;
};

TEST_P(MemcacheBackupTest, MissHitAndCacheFill) {
  auto table = Open(false);
  ASSERT_TRUE(table);
  std::string value;
  EXPECT_TRUE(table->Lookup("carol@example.com", &value).IsNotFound());
  bool found = true;
  server_.Get("bk:carol@example.com", &found);
  EXPECT_FALSE(found) << "a miss must not be cached";

  ASSERT_TRUE(table->Lookup("Alice@Example.com", &value).ok());
  EXPECT_EQ(value, "alice-v");
  unsigned flags = 0;
  EXPECT_EQ(server_.Get("bk:alice@example.com", &found, &flags), "alice-v");
  EXPECT_TRUE(found);
  EXPECT_EQ(flags, 3u);

  // Batch form: same answers, misses written back in one pipelined round.
  std::vector<std::string> keys = {"bob@example.com", "nobody", "alice@example.com"};
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[0].value, "bob-v");
  EXPECT_TRUE(results[1].status.IsNotFound());
  EXPECT_EQ(results[2].value, "alice-v");
  EXPECT_EQ(server_.Get("bk:bob@example.com", &found), "bob-v");
}

TEST_P(MemcacheBackupTest, SequenceComesFromTheBackup) {
  auto table = Open(false);
  ASSERT_TRUE(table);
  std::vector<std::string> keys;
  std::string k, v;
  for (Status s = table->Sequence(SequenceOp::kFirst, &k, &v); s.ok();
       s = table->Sequence(SequenceOp::kNext, &k, &v))
    keys.push_back(k + "=" + v);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"alice@example.com=alice-v", "bob@example.com=bob-v"}));
}

TEST_P(MemcacheBackupTest, BackupAnswersWhileMemcachedIsDown) {
  auto table = Open(false);
  ASSERT_TRUE(table);
  server_.Stop();
  std::string value;
  ASSERT_TRUE(table->Lookup("bob@example.com", &value).ok());
  EXPECT_EQ(value, "bob-v");
  EXPECT_TRUE(table->Lookup("carol@example.com", &value).IsNotFound());
}

TEST_P(MemcacheBackupTest, UpdateAndDeleteReachBoth) {
  if (!Writable(type_)) {
    // The backup is opened with the memcache table's mode, as in Postfix: a
    // read-only type makes a read-write memcache table fail to open.
    std::string cf = dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() + "\nbackup = " + backup_ + "\n");
    OpenOptions rw;
    rw.read_write = true;
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + cf, rw, &table);
    if (s.ok()) {
      EXPECT_TRUE(table->Update("x", "y").IsError()) << type_ << " backup must refuse updates";
    } else {
      EXPECT_TRUE(s.IsError());
      EXPECT_NE(s.message().find(type_ == "cdb" ? "cdb" : "texthash"), std::string::npos) << s.message();
    }
    return;
  }
  auto table = Open(true);
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("Carol@Example.com", "carol-v").ok());
  bool found = false;
  EXPECT_EQ(server_.Get("bk:carol@example.com", &found), "carol-v");
  ASSERT_TRUE(table->Delete("alice@example.com").ok());
  server_.Get("bk:alice@example.com", &found);
  EXPECT_FALSE(found);

  // memcached down: the backup still takes the update and the delete, and
  // the table reports the backup's result.
  server_.Stop();
  EXPECT_TRUE(table->Update("dave@example.com", "dave-v").ok());
  EXPECT_TRUE(table->Delete("bob@example.com").ok());
  ASSERT_TRUE(table->Close().ok());

  std::unique_ptr<Table> backup;
  ASSERT_TRUE(OpenTable(backup_, OpenOptions(), &backup).ok());
  std::string value;
  ASSERT_TRUE(backup->Lookup("carol@example.com", &value).ok());
  EXPECT_EQ(value, "carol-v");
  ASSERT_TRUE(backup->Lookup("dave@example.com", &value).ok());
  EXPECT_EQ(value, "dave-v");
  EXPECT_TRUE(backup->Lookup("alice@example.com", &value).IsNotFound());
  EXPECT_TRUE(backup->Lookup("bob@example.com", &value).IsNotFound());
}

INSTANTIATE_TEST_SUITE_P(Types, MemcacheBackupTest,
                         ::testing::Values("lmdb", "hash", "btree", "cdb", "texthash"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mctable
