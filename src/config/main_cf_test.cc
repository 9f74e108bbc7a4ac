#include "config/main_cf.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testutil/testutil.h"

namespace mctable {
namespace {

// Time values as Debian's postmap 3.7 took them for ipc_timeout (observed:
// "1h30m", "1h30" and "+5" accepted; "2S", "5 s", "99999999999" refused).
// Stricter than Postfix on junk it half reads: "h1" (Postfix: 0, then
// "invalid ipc_timeout: 0 (min 1)") and "5ss" (Postfix: 5) are refused.
TEST(MainCfTest, TimeValuesAsPostfixReadsThem) {
  int s = 0;
  EXPECT_TRUE(ParsePostfixTime("3600", &s));
  EXPECT_EQ(s, 3600);
  EXPECT_TRUE(ParsePostfixTime("5s", &s));
  EXPECT_EQ(s, 5);
  EXPECT_TRUE(ParsePostfixTime("2m", &s));
  EXPECT_EQ(s, 120);
  EXPECT_TRUE(ParsePostfixTime("1h30m", &s));
  EXPECT_EQ(s, 5400);
  EXPECT_TRUE(ParsePostfixTime("3w", &s));
  EXPECT_EQ(s, 3 * 604800);
  EXPECT_TRUE(ParsePostfixTime("1d", &s));
  EXPECT_EQ(s, 86400);
  EXPECT_TRUE(ParsePostfixTime("+5", &s));
  EXPECT_EQ(s, 5);
  EXPECT_TRUE(ParsePostfixTime("-0", &s));
  EXPECT_EQ(s, 0);
  EXPECT_TRUE(ParsePostfixTime("1h30", &s));
  EXPECT_EQ(s, 3630);
  for (const char* bad : {"", "2S", "5 s", "5x", "s", "-1", "99999999999", "h1", "5ss"})
    EXPECT_FALSE(ParsePostfixTime(bad, &s)) << bad;
}

TEST(MainCfTest, ReadsExpandsAndWordsErrorsAsPostfix) {
  testutil::TempDir dir;
  dir.WriteFile("main.cf",
                "base = /srv\n"
                "queue_directory = $base/spool\n"
                "ipc_timeout = 5x\n"
                "ipc_idle = 0\n"
                "ipc_ttl = 2m\n"
                "broken = ${base\n");
  MainCf main_cf;
  ASSERT_TRUE(MainCf::Read(dir.path(), &main_cf).ok());
  std::string value;
  ASSERT_TRUE(main_cf.GetString("queue_directory", "/var/spool/postfix", &value).ok());
  EXPECT_EQ(value, "/srv/spool");
  ASSERT_TRUE(main_cf.GetString("proxymap_service_name", "proxymap", &value).ok());
  EXPECT_EQ(value, "proxymap");
  Status bad = main_cf.GetString("broken", "", &value);
  EXPECT_TRUE(bad.IsConfigError());
  EXPECT_NE(bad.message().find(dir.path() + "/main.cf: broken: macro processing error"), std::string::npos)
      << bad.message();
  int seconds = 0;
  EXPECT_EQ(main_cf.GetTime("ipc_timeout", "3600s", 1, &seconds).message(),
            "parameter ipc_timeout: bad time value or unit: 5x");
  EXPECT_EQ(main_cf.GetTime("ipc_idle", "5s", 1, &seconds).message(), "invalid ipc_idle: 0 (min 1)");
  ASSERT_TRUE(main_cf.GetTime("ipc_ttl", "1000s", 1, &seconds).ok());
  EXPECT_EQ(seconds, 120);
  ASSERT_TRUE(main_cf.GetTime("unset_time", "1000s", 1, &seconds).ok());
  EXPECT_EQ(seconds, 1000);

  Status missing = MainCf::Read(dir.path() + "/nowhere", &main_cf);
  EXPECT_EQ(missing.message(), "open " + dir.path() + "/nowhere/main.cf: No such file or directory");
}

}  // namespace
}  // namespace mctable
