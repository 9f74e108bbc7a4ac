// key_digest against a real memcached: the key memcached holds is exactly
// what `openssl dgst` prints for the formatted (and folded) key, long keys
// work, and an unknown digest stops the table at open.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/openssl_digest.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::MemcachedServer;
using testutil::OpensslDigest;
using testutil::RunCommand;
using testutil::TempDir;

class KeyDigestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    if (testutil::OpensslBinary().empty()) GTEST_SKIP() << "the openssl command is not installed";
  }
  std::string Config(const std::string& extra) {
    return dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() + "\nmax_try = 1\n" + extra);
  }
  std::unique_ptr<Table> Open(const std::string& extra) {
    OpenOptions options;
    options.read_write = true;
    return testutil::OpenOrDie("memcache:" + Config(extra), options);
  }

  TempDir dir_;
  MemcachedServer server_;
};

TEST_F(KeyDigestTest, StoredUnderTheOpensslDigestOfTheFormattedFoldedKey) {
  auto table = Open("key_format = aliases:%s\nkey_digest = sha256\n");
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("User@Example.COM", "dest@example.net").ok());
  std::string wire = OpensslDigest("sha256", "aliases:user@example.com");
  ASSERT_EQ(wire.size(), 64u);
  bool found = false;
  EXPECT_EQ(server_.Get(wire, &found), "dest@example.net");
  EXPECT_TRUE(found);
  server_.Get("aliases:user@example.com", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "user@example.com"), "dest@example.net");

  // A value written by another client under the digest is found too.
  server_.Set(OpensslDigest("sha256", "aliases:other@example.com"), "from-elsewhere");
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "Other@example.com"), "from-elsewhere");
  EXPECT_TRUE(table->Delete("user@example.com").ok());
  server_.Get(wire, &found);
  EXPECT_FALSE(found);
}

TEST_F(KeyDigestTest, KeysTooLongOrWithSpacesForMemcachedBecomeUsable) {
  auto plain = Open("");
  auto digested = Open("key_digest = sha512\n");
  ASSERT_TRUE(plain && digested);
  std::string long_key(600, 'x');
  long_key += "@example.com";
  // Without a digest such a key is skipped; with one it is stored.
  EXPECT_FALSE(plain->Update(long_key, "v").ok());
  ASSERT_TRUE(digested->Update(long_key, "long-value").ok());
  bool found = false;
  EXPECT_EQ(server_.Get(OpensslDigest("sha512", long_key), &found), "long-value");
  EXPECT_TRUE(found);
  ASSERT_TRUE(digested->Update("a key with spaces", "spaced").ok());
  EXPECT_EQ(server_.Get(OpensslDigest("sha512", "a key with spaces"), &found), "spaced");
  EXPECT_EQ(testutil::LookupOrStatus(digested.get(), "a key with spaces"), "spaced");
}

TEST_F(KeyDigestTest, BatchLookupsUseTheDigestForEveryKey) {
  auto table = Open("key_format = b:%s\nkey_digest = md5\n");
  ASSERT_TRUE(table);
  for (int i = 0; i < 50; i += 2)
    server_.Set(OpensslDigest("md5", "b:k" + std::to_string(i)), "v" + std::to_string(i));
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  for (int i = 0; i < 50; ++i) {
    if (i % 2 == 0) {
      EXPECT_TRUE(results[i].status.ok()) << i;
      EXPECT_EQ(results[i].value, "v" + std::to_string(i));
    } else {
      EXPECT_TRUE(results[i].status.IsNotFound()) << i;
    }
  }
}

TEST_F(KeyDigestTest, SuppressedOrEmptyExpansionIsSkippedNotDigested) {
  // Postfix 3.11 would digest an empty expansion (every key the same digest);
  // we skip it as an empty expansion without key_digest is skipped.
  for (const char* format : {"key_format = %d\n", "key_format =\n"}) {
    auto table = Open(std::string(format) + "key_digest = sha256\n");
    ASSERT_TRUE(table);
    std::string value;
    EXPECT_TRUE(table->Lookup("nodomain", &value).IsNotFound()) << format;
    EXPECT_FALSE(table->Update("nodomain", "v").ok()) << format;
    bool found = true;
    server_.Get(OpensslDigest("sha256", ""), &found);
    EXPECT_FALSE(found) << format;
  }
}

TEST_F(KeyDigestTest, UnknownDigestIsAConfigurationErrorAtOpen) {
  std::string cf = Config("key_digest = sha999\n");
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + cf, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(),
            "memcache:" + cf + ": key_digest = sha999: unknown or unavailable message digest");

  // The command stops before any lookup, naming the table.
  TempDir config_dir;
  config_dir.WriteFile("main.cf", "");
  testutil::CommandResult r =
      RunCommand({testutil::MctableBinary(), "-c", config_dir.path(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("key_digest = sha999: unknown or unavailable message digest"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace mctable
