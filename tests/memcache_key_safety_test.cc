// Keys and values memcached cannot take: every byte value in keys (alone
// and in a batch), keys at and over 250 bytes after key_format, values over
// data_size_limit.  Nothing unsafe reaches the wire (FaultServer records it).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/fault_fixture.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::FaultTest;

// ---------------------------------------------------------------------------
// Bad keys and values.

TEST_F(FaultTest, EveryByteValueInKeys) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::string expected_gets, expected_sets;
  int skipped = 0;
  CapturedWarnings log;
  std::vector<std::string> keys;
  for (int b = 1; b <= 0xff; ++b) {
    std::string key = "k";
    key.push_back(static_cast<char>(b));
    key += "z";
    keys.push_back(key);
  }
  for (const std::string& key : keys) {
    std::string value;
    Status s = table->Lookup(key, &value);
    EXPECT_TRUE(s.IsNotFound()) << PrintableBytes(key) << ": " << s.ToString();
  }
  EXPECT_TRUE(log.lines().empty()) << "lookups are skipped silently: " << log.joined();
  for (const std::string& key : keys) {
    unsigned char b = static_cast<unsigned char>(key[1]);
    std::string wire = key;
    if (b >= 'A' && b <= 'Z') wire[1] = static_cast<char>(b - 'A' + 'a');
    bool valid = b > 0x20 && b != 0x7f;
    Status u = table->Update(key, "v");
    if (valid) {
      expected_gets += "get " + wire + "\r\n";
      expected_sets += "set " + wire + " 0 3600 1\r\nv\r\n";
      EXPECT_TRUE(u.ok()) << PrintableBytes(key) << ": " << u.ToString();
    } else {
      ++skipped;
      EXPECT_TRUE(u.IsRefused()) << PrintableBytes(key) << ": " << u.ToString();
    }
  }
  EXPECT_EQ(server_.AllReceived(), expected_gets + expected_sets)
      << "only valid keys may reach the wire, each exactly once";
  EXPECT_EQ(skipped, 33);
  ASSERT_EQ(log.lines().size(), 33u) << log.joined();
  EXPECT_EQ(log.lines()[0],
            "memcache:" + cf + ": skipping update for name \"k\\x01z\": name contains control character");
  EXPECT_EQ(log.lines()[8], "memcache:" + cf + ": skipping update for name \"k\\x09z\": name contains space");
  EXPECT_EQ(log.lines()[31], "memcache:" + cf + ": skipping update for name \"k z\": name contains space");
  EXPECT_EQ(log.lines()[32],
            "memcache:" + cf + ": skipping update for name \"k\\x7fz\": name contains control character");
  // Folding: "kAz" and "kaz" are one key.
  std::string value;
  EXPECT_TRUE(table->Lookup("kAz", &value).ok());
}

TEST_F(FaultTest, EveryByteValueInABatch) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::vector<std::string> keys;
  std::string expected = "get";
  for (int b = 1; b <= 0xff; ++b) {
    std::string key = "k";
    key.push_back(static_cast<char>(b));
    keys.push_back(key);
    if (b > 0x20 && b != 0x7f) {
      if (b >= 'A' && b <= 'Z') key[1] = static_cast<char>(b - 'A' + 'a');
      expected += " " + key;
    }
  }
  server_.Put("ka", "found");
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    bool hit = keys[i] == "ka" || keys[i] == "kA";
    EXPECT_EQ(results[i].status.ok(), hit) << i << ": " << results[i].status.ToString();
    if (hit) {
      EXPECT_EQ(results[i].value, "found");
    }
  }
  EXPECT_EQ(server_.AllReceived(), expected + "\r\n");
}

TEST_F(FaultTest, KeysAtAndOver250BytesAfterExpansion) {
  std::string cf = Config("key_format = pre:%s\n");
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::string at(246, 'a'), over(247, 'a');  // + "pre:" = 250, 251
  server_.Put("pre:" + at, "fits");
  std::string value;
  CapturedWarnings log;
  EXPECT_TRUE(table->Lookup(at, &value).ok());
  EXPECT_EQ(value, "fits");
  EXPECT_TRUE(table->Lookup(over, &value).IsNotFound());
  EXPECT_TRUE(table->Delete(over).IsNotFound());
  Status u = table->Update(over, "v");
  EXPECT_TRUE(u.IsRefused()) << u.ToString();
  EXPECT_EQ(log.lines(), std::vector<std::string>{"memcache:" + cf + ": skipping update for name \"" + over +
                                                   "\": name is longer than 250 bytes"});
  EXPECT_EQ(server_.AllReceived(), "get pre:" + at + "\r\n");
  // Bytes, not characters: 125 two-byte characters plus "pre:" is 254 bytes.
  std::string utf8;
  for (int i = 0; i < 125; ++i) utf8 += "\xc3\xa9";
  EXPECT_TRUE(table->Lookup(utf8, &value).IsNotFound());
  EXPECT_EQ(server_.AllReceived(), "get pre:" + at + "\r\n");
}

TEST_F(FaultTest, ValueOverDataSizeLimitIsNotSent) {
  std::string cf = Config("data_size_limit = 100\n");
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  CapturedWarnings log;
  Status s = table->Update("key", std::string(101, 'x'));
  EXPECT_TRUE(s.IsRefused()) << "skipped with a warning, not an error: " << s.ToString();
  EXPECT_EQ(log.lines(),
            std::vector<std::string>{"database memcache:" + cf +
                                     ": data for key key is too long (data_size_limit=100) -- "
                                     "not stored"});
  EXPECT_EQ(server_.AllReceived(), "");
  EXPECT_TRUE(table->Update("key", std::string(100, 'x')).ok());
  EXPECT_EQ(server_.AllReceived(), "set key 0 3600 100\r\n" + std::string(100, 'x') + "\r\n");
}

}  // namespace
}  // namespace mctable
