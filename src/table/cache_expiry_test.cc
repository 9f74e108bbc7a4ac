// CacheExpiry: the keep/drop decision of Postfix's postscreen and verify
// cache cleanup, at its boundaries, and the parameters read from main.cf.
#include "table/cache_expiry.h"

#include <gtest/gtest.h>

#include "config/main_cf.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kDay = 86400;

std::string Stamps(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e) {
  return std::to_string(a) + ";" + std::to_string(b) + ";" + std::to_string(c) + ";" + std::to_string(d) + ";" +
         std::to_string(e);
}

CacheExpiry Postscreen() {
  CacheExpiry e;
  e.kind = CacheKind::kPostscreen;
  return e;  // Postfix's defaults: pregreet only, 7 days' retention
}

TEST(CacheExpiryTest, PostscreenDropsWhenAnEnabledTestExpiredLongerAgoThanTheRetention) {
  CacheExpiry e = Postscreen();
  const int64_t horizon = kNow - 7 * kDay;
  // pregreet expired exactly at the horizon: kept (Postfix: horizon > stamp).
  EXPECT_TRUE(e.Keep(Stamps(horizon, 1, 1, 1, 1), kNow));
  EXPECT_FALSE(e.Keep(Stamps(horizon - 1, 1, 1, 1, 1), kNow));
  // Expired, but within the retention time: kept.
  EXPECT_TRUE(e.Keep(Stamps(kNow - kDay, 1, 1, 1, 1), kNow));
  // A disabled test's old stamp does not matter...
  EXPECT_TRUE(e.Keep(Stamps(kNow + kDay, 0, 0, 0, 0), kNow));
  // ...until main.cf enables it: never passed (0) or disabled (1) then.
  e.pipelining_enabled = true;
  EXPECT_FALSE(e.Keep(Stamps(kNow + kDay, 0, 0, 0, 0), kNow));
  EXPECT_FALSE(e.Keep(Stamps(kNow + kDay, 1, 1, 1, 1), kNow));
  EXPECT_TRUE(e.Keep(Stamps(kNow + kDay, 0, kNow + kDay, 0, 0), kNow));
  e.dnsbl_enabled = true;
  EXPECT_FALSE(e.Keep(Stamps(kNow + kDay, horizon - 1, kNow + kDay, 0, 0), kNow));
}

TEST(CacheExpiryTest, PostscreenReadsShortAndDamagedValuesAsPostfixDoes) {
  CacheExpiry e = Postscreen();
  e.pipelining_enabled = true;
  // An older postscreen wrote fewer fields: the missing ones are "disabled"
  // (1), which an enabled test finds expired.
  EXPECT_FALSE(e.Keep(std::to_string(kNow + kDay), kNow));
  e.pipelining_enabled = false;
  EXPECT_TRUE(e.Keep(std::to_string(kNow + kDay), kNow));
  // Junk: the field and all after it are "disabled"; a wholly bad value
  // leaves pregreet (enabled) disabled: dropped.
  EXPECT_FALSE(e.Keep("garbage", kNow));
  EXPECT_FALSE(e.Keep("", kNow));
  EXPECT_TRUE(e.Keep(std::to_string(kNow + kDay) + ";x;y", kNow));
  e.pregreet_enabled = false;
  EXPECT_TRUE(e.Keep("garbage", kNow));
}

CacheExpiry Verify() {
  CacheExpiry e;
  e.kind = CacheKind::kVerify;
  return e;  // 31 days positive, 3 days negative
}

TEST(CacheExpiryTest, VerifyKeepsUntilThePositiveOrNegativeExpireTime) {
  CacheExpiry e = Verify();
  const int64_t old_probe = kNow - 5000;
  // Deliverable (0): 31 days after `updated`; Postfix drops at updated + 31d < now.
  EXPECT_TRUE(e.Keep("0:0:" + std::to_string(kNow - 31 * kDay) + ":250 ok", kNow));
  EXPECT_FALSE(e.Keep("0:0:" + std::to_string(kNow - 31 * kDay - 1) + ":250 ok", kNow));
  // Undeliverable (1 defer, 2 bounce) and in progress (3): 3 days.
  EXPECT_TRUE(e.Keep("2:0:" + std::to_string(kNow - 3 * kDay) + ":550 no", kNow));
  EXPECT_FALSE(e.Keep("2:0:" + std::to_string(kNow - 3 * kDay - 1) + ":550 no", kNow));
  EXPECT_FALSE(e.Keep("1:0:" + std::to_string(kNow - 4 * kDay) + ":451 later", kNow));
  // A probe sent less than 1000 s ago keeps even an expired entry.
  EXPECT_TRUE(e.Keep("2:" + std::to_string(kNow - 999) + ":" + std::to_string(kNow - 9 * kDay) + ":x", kNow));
  EXPECT_FALSE(e.Keep("2:" + std::to_string(old_probe) + ":" + std::to_string(kNow - 9 * kDay) + ":x", kNow));
  // The fresh "in progress" entry verify writes for a new address.
  EXPECT_TRUE(e.Keep("3:" + std::to_string(kNow - 10) + ":0:Address verification in progress", kNow));
  // The text may hold ':'.
  EXPECT_TRUE(e.Keep("0:0:" + std::to_string(kNow) + ":250 2.0.0 Ok: queued", kNow));
}

TEST(CacheExpiryTest, VerifyDropsMalformedEntries) {
  CacheExpiry e = Verify();
  const std::string t = std::to_string(kNow);
  EXPECT_FALSE(e.Keep("0:0:" + t, kNow));          // no text field
  EXPECT_FALSE(e.Keep("0:0:0:all zero", kNow));    // never written so
  EXPECT_FALSE(e.Keep("4:0:" + t + ":x", kNow));   // no such status
  EXPECT_FALSE(e.Keep("0::" + t + ":x", kNow));    // empty field
  EXPECT_FALSE(e.Keep("0:-1:" + t + ":x", kNow));  // not digits
  EXPECT_FALSE(e.Keep("junk", kNow));
}

TEST(CacheExpiryTest, ParametersFromMainCfWithPostfixDefaultsAndUnits) {
  testutil::TempDir dir;
  dir.WriteFile("main.cf", "");
  MainCf main_cf;
  ASSERT_TRUE(MainCf::Read(dir.path(), &main_cf).ok());
  CacheExpiry e;
  ASSERT_TRUE(ReadCacheExpiry(main_cf, CacheKind::kVerify, &e).ok());
  EXPECT_EQ(e.positive_expire_seconds, 31 * kDay);
  EXPECT_EQ(e.negative_expire_seconds, 3 * kDay);
  ASSERT_TRUE(ReadCacheExpiry(main_cf, CacheKind::kPostscreen, &e).ok());
  EXPECT_EQ(e.retention_seconds, 7 * kDay);
  EXPECT_TRUE(e.pregreet_enabled);
  EXPECT_FALSE(e.dnsbl_enabled || e.pipelining_enabled || e.non_smtp_command_enabled || e.bare_newline_enabled);

  dir.WriteFile("main.cf",
                "address_verify_positive_expire_time = 2w\naddress_verify_negative_expire_time = 1h30m\n"
                "postscreen_cache_retention_time = 0\npostscreen_greet_banner =\n"
                "sites = zen.example\npostscreen_dnsbl_sites = $sites\npostscreen_pipelining_enable = YES\n");
  ASSERT_TRUE(MainCf::Read(dir.path(), &main_cf).ok());
  ASSERT_TRUE(ReadCacheExpiry(main_cf, CacheKind::kVerify, &e).ok());
  EXPECT_EQ(e.positive_expire_seconds, 14 * kDay);
  EXPECT_EQ(e.negative_expire_seconds, 5400);
  ASSERT_TRUE(ReadCacheExpiry(main_cf, CacheKind::kPostscreen, &e).ok());
  EXPECT_EQ(e.retention_seconds, 0);
  EXPECT_FALSE(e.pregreet_enabled);
  EXPECT_TRUE(e.dnsbl_enabled);
  EXPECT_TRUE(e.pipelining_enabled);
}

TEST(CacheExpiryTest, BadParametersNameMainCfAndTheParameter) {
  testutil::TempDir dir;
  dir.WriteFile("main.cf", "address_verify_negative_expire_time = 3 days\npostscreen_bare_newline_enable = maybe\n");
  MainCf main_cf;
  ASSERT_TRUE(MainCf::Read(dir.path(), &main_cf).ok());
  CacheExpiry e;
  Status s = ReadCacheExpiry(main_cf, CacheKind::kVerify, &e);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find(dir.path() + "/main.cf"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("address_verify_negative_expire_time"), std::string::npos) << s.message();
  s = ReadCacheExpiry(main_cf, CacheKind::kPostscreen, &e);
  EXPECT_NE(s.message().find("bad boolean configuration: postscreen_bare_newline_enable = maybe"),
            std::string::npos)
      << s.message();
}

TEST(CacheExpiryTest, KindNames) {
  CacheKind k;
  EXPECT_TRUE(ParseCacheKind("postscreen", &k));
  EXPECT_EQ(k, CacheKind::kPostscreen);
  EXPECT_TRUE(ParseCacheKind("verify", &k));
  EXPECT_EQ(k, CacheKind::kVerify);
  EXPECT_FALSE(ParseCacheKind("Verify", &k));
}

}  // namespace
}  // namespace mctable
