// The proxy table through the library API, against a private Postfix
// (testutil/postfix_instance.h) started once for the suite: updates,
// deletes and first/next through proxywrite, read-only use through
// proxymap, a memcache table whose backup is reachable only through
// proxywrite (so its lookups, cache fills and updates prove which socket
// they used), Postfix restarted and stopped under an open table, the LMDB
// empty key that kills Postfix's proxymap, NUL
// bytes in keys, and security-sensitive use (opened directly).
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mctable/table.h"
#include "testutil/postfix_instance.h"
#include "testutil/proxy_tables.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using namespace std::string_literals;
using testutil::CapturedWarnings;
using testutil::CommandResult;
using testutil::PostfixInstance;
using testutil::RunCommand;

const char kSource[] = "alpha one\nbeta two\ngamma three\n";

class ProxyTableWithPostfix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!postfix_.Prepare()) return;
    const std::vector<std::string> read_write = {Table("rw", "btree"), Table("rw", "lmdb"),
                                                 Table("restart", "btree")};
    std::vector<std::string> readable = read_write, writable = read_write;
    readable.push_back(Table("ro", "btree"));
    writable.push_back(Table("wo", "btree"));
    std::vector<std::pair<std::string, std::string>> tables;
    for (const std::string& table : {Table("rw", "btree"), Table("rw", "lmdb"), Table("restart", "btree"),
                                     Table("ro", "btree"), Table("wo", "btree"), Table("unlisted", "btree")})
      tables.emplace_back(table, kSource);
    postfix_.Start(readable, writable, tables);
  }
  static void TearDownTestSuite() { postfix_.Reset(); }

  void SetUp() override { MCTABLE_REQUIRE_SUITE_POSTFIX(postfix_); }

  static std::string Table(const std::string& name, const std::string& type) {
    return type + ":" + postfix_->maps_dir() + "/" + name + "_" + type;
  }
  static OpenOptions Options(bool read_write) {
    OpenOptions options;
    options.config_dir = postfix_->config_dir();
    options.read_write = read_write;
    return options;
  }
  static std::unique_ptr<mctable::Table> Open(const std::string& name, bool read_write) {
    std::unique_ptr<mctable::Table> table;
    Status s = OpenTable(name, Options(read_write), &table);
    EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
    return table;
  }
  // What the table file holds, read directly by postmap (not through proxymap).
  static std::string Direct(const std::string& type_and_path, const std::string& key) {
    CommandResult r = RunCommand({testutil::PostmapBinary(), "-c", postfix_->config_dir(), "-q", key,
                                  type_and_path});
    return r.exit_status == 0 ? r.out : "<" + std::to_string(r.exit_status) + ">";
  }

  static testutil::SuitePostfix postfix_;
};

testutil::SuitePostfix ProxyTableWithPostfix::postfix_;

TEST_F(ProxyTableWithPostfix, UpdatesDeletesAndFirstNextThroughProxywrite) {
  for (const std::string& type : {"btree"s, "lmdb"s}) {
    SCOPED_TRACE(type);
    const std::string file = Table("rw", type);
    auto table = Open("proxy:" + file, true);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->full_name(), "proxy:" + file);
    EXPECT_OK(table->Update("Key1", "value one"));
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), "KEY1"), "value one");
    EXPECT_EQ(Direct(file, "key1"), "value one\n");  // proxywrite syncs each update
    EXPECT_OK(table->Update("key1", "replaced"));    // proxymap replaces duplicates
    EXPECT_EQ(Direct(file, "key1"), "replaced\n");
    EXPECT_OK(table->Delete("KEY1"));
    EXPECT_TRUE(table->Delete("key1").IsNotFound());
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), "key1"), "<not found>");
    EXPECT_EQ(Direct(file, "key1"), "<1>");
    EXPECT_OK(table->Delete("beta"));
    std::vector<std::string> dump = testutil::SplitLines(testutil::Dump(table.get()));
    std::sort(dump.begin(), dump.end());
    EXPECT_EQ(dump, (std::vector<std::string>{"alpha\tone", "gamma\tthree"}));
    EXPECT_OK(table->Close());
  }
}

TEST_F(ProxyTableWithPostfix, ReadOnlyUseGoesToProxymap) {
  const std::string file = Table("ro", "btree");
  auto table = Open("proxy:" + file, false);
  ASSERT_NE(table, nullptr);
  std::string value;
  EXPECT_OK(table->Lookup("Alpha", &value));
  EXPECT_EQ(value, "one");
  EXPECT_TRUE(table->Update("k", "v").IsRefused());
  EXPECT_TRUE(table->Delete("alpha").IsRefused());
  EXPECT_EQ(testutil::Dump(table.get()), "alpha\tone\nbeta\ttwo\ngamma\tthree\n");
  // A NUL ends the key, as in Postfix's C strings: nothing after it is sent.
  EXPECT_OK(table->Lookup("alpha\0request\0delete"s, &value));
  EXPECT_EQ(value, "one");
  // This table is not listed for proxywrite.
  std::unique_ptr<mctable::Table> writer;
  Status denied = OpenTable("proxy:" + file, Options(true), &writer);
  EXPECT_TRUE(denied.IsConfigError());
  EXPECT_EQ(denied.message(), "proxywrite service is not configured for table \"" + file + "\"");
}

// backup = proxy:btree:...wo is listed in proxy_write_maps only: proxymap
// would refuse it, so every answer below came through proxywrite.
TEST_F(ProxyTableWithPostfix, MemcacheOpenedReadWriteUsesProxywriteForEverything) {
  testutil::MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  testutil::TempDir dir;
  const std::string file = Table("wo", "btree");
  const std::string cf = "memcache:" + dir.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                               "\nbackup = proxy:" + file +
                                                               "\nkey_format = c:%s\n");
  std::unique_ptr<mctable::Table> reader;
  Status denied = OpenTable(cf, Options(false), &reader);
  EXPECT_EQ(denied.message(), "proxymap service is not configured for table \"" + file + "\"");

  auto table = Open(cf, true);
  ASSERT_NE(table, nullptr);
  std::string value;
  bool found = false;
  EXPECT_OK(table->Lookup("ALPHA", &value));  // memcached miss, backup hit
  EXPECT_EQ(value, "one");
  EXPECT_EQ(memcached.Get("c:alpha", &found), "one");  // the cache fill
  EXPECT_OK(table->Update("new@example.com", "fresh"));
  EXPECT_EQ(memcached.Get("c:new@example.com", &found), "fresh");
  EXPECT_EQ(Direct(file, "new@example.com"), "fresh\n");
  EXPECT_OK(table->Delete("beta"));
  EXPECT_EQ(Direct(file, "beta"), "<1>");
  std::vector<std::string> dump = testutil::SplitLines(testutil::Dump(table.get()));
  std::sort(dump.begin(), dump.end());
  EXPECT_EQ(dump, (std::vector<std::string>{"alpha\tone", "gamma\tthree", "new@example.com\tfresh"}));
}

// The Postfix instance restarts under an open table: the connection the
// Table holds is dead; the next lookup reconnects without a word.  While
// it is down, lookups fail after the bounded connect retries, and work
// again once it is back.
TEST_F(ProxyTableWithPostfix, PostfixRestartUnderAnOpenTable) {
  const std::string file = Table("restart", "btree");
  auto table = Open("proxy:" + file, false);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alpha"), "one");
  ASSERT_TRUE(postfix_->Stop()) << postfix_->error();
  ASSERT_TRUE(postfix_->Start()) << postfix_->error();
  {
    CapturedWarnings warnings;
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alpha"), "one");
    EXPECT_EQ(warnings.joined(), "");
  }
  ASSERT_TRUE(postfix_->Stop()) << postfix_->error();
  {
    CapturedWarnings warnings;
    auto start = std::chrono::steady_clock::now();
    std::string value;
    Status down = table->Lookup("alpha", &value);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(down.IsTempError()) << down.ToString();
    const std::string socket = postfix_->queue_directory() + "/private/proxymap";
    EXPECT_EQ(down.message(), "connect #3 to subsystem " + socket + ": Connection refused");
    EXPECT_EQ(warnings.lines(), (std::vector<std::string>{
                                    "connect #1 to subsystem " + socket + ": Connection refused",
                                    "connect #2 to subsystem " + socket + ": Connection refused"}));
    EXPECT_GE(seconds, 2.0);
    EXPECT_LT(seconds, 3.5);
  }
  ASSERT_TRUE(postfix_->Start()) << postfix_->error();
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "beta"), "two");
}

TEST_F(ProxyTableWithPostfix, EmptyLmdbKeyIsNotSentToTheServer) {
  OpenOptions options = Options(true);
  options.nul_mode = NulMode::kOmit;  // no NUL appended: LMDB would get a 0-byte key
  std::unique_ptr<mctable::Table> table;
  ASSERT_TRUE(OpenTable("proxy:" + Table("rw", "lmdb"), options, &table).ok());
  std::string value;
  EXPECT_TRUE(table->Lookup("", &value).IsNotFound());
  EXPECT_TRUE(table->Delete("").IsNotFound());
  EXPECT_TRUE(table->Update("", "v").IsRefused());
  EXPECT_EQ(postfix_->Log().find("MDB_BAD_VALSIZE"), std::string::npos) << postfix_->Log();
  EXPECT_OK(table->Update("after", "works"));
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "after"), "works");
}

// Postfix's proxy client opens a table directly for security-sensitive
// use (proxymap is not a trusted process); this one is not even listed.
TEST_F(ProxyTableWithPostfix, SecuritySensitiveUseOpensTheTableDirectly) {
  if (!testutil::HaveTableType("btree")) GTEST_SKIP() << "btree is not built in";
  const std::string file = Table("unlisted", "btree");
  OpenOptions options = Options(false);
  options.security_sensitive = true;
  std::unique_ptr<mctable::Table> table;
  ASSERT_TRUE(OpenTable("proxy:" + file, options, &table).ok());
  EXPECT_EQ(table->full_name(), file);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "gamma"), "three");
  std::unique_ptr<mctable::Table> proxied;
  EXPECT_TRUE(OpenTable("proxy:" + file, Options(false), &proxied).IsConfigError());
}

}  // namespace
}  // namespace mctable
