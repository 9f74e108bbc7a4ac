// Tests for PostfixSettings: main.cf's smtputf8_enable and
// default_database_type, evaluated as Debian's Postfix 3.7.11 evaluates
// them (observed with postconf -c DIR -x and postmap -c DIR).
#include "config/postfix_settings.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::TempDir;

PostfixSettings SettingsFor(const std::string& main_cf) {
  TempDir dir;
  dir.WriteFile("main.cf", main_cf);
  PostfixSettings settings;
  Status s = ReadPostfixSettings(dir.path(), true, &settings);
  EXPECT_TRUE(s.ok()) << main_cf << ": " << s.ToString();
  return settings;
}

Status ErrorFor(const std::string& main_cf, std::string* dir_path) {
  static TempDir dir;
  dir.WriteFile("main.cf", main_cf);
  *dir_path = dir.path();
  PostfixSettings settings;
  return ReadPostfixSettings(dir.path(), true, &settings);
}

TEST(PostfixSettings, Smtputf8FollowsTheCompatibilityLevel) {
  EXPECT_FALSE(SettingsFor("").smtputf8_enable);  // level 0
  EXPECT_FALSE(SettingsFor("compatibility_level = 0\n").smtputf8_enable);
  EXPECT_FALSE(SettingsFor("compatibility_level = 0.9\n").smtputf8_enable);
  EXPECT_TRUE(SettingsFor("compatibility_level = 1\n").smtputf8_enable);
  EXPECT_TRUE(SettingsFor("compatibility_level = 3.6\n").smtputf8_enable);  // Debian's install
  EXPECT_TRUE(SettingsFor("compatibility_level = 3.6.1\n").smtputf8_enable);
  EXPECT_TRUE(SettingsFor("level = 2\ncompatibility_level = $level\n").smtputf8_enable);
}

TEST(PostfixSettings, ExplicitSmtputf8WinsAndIsCaseInsensitive) {
  EXPECT_TRUE(SettingsFor("smtputf8_enable = yes\n").smtputf8_enable);
  EXPECT_TRUE(SettingsFor("smtputf8_enable = YES\n").smtputf8_enable);
  EXPECT_FALSE(SettingsFor("compatibility_level = 3.6\nsmtputf8_enable = no\n").smtputf8_enable);
  EXPECT_TRUE(SettingsFor("x = yes\nsmtputf8_enable = $x\n").smtputf8_enable);
}

TEST(PostfixSettings, BadValuesNameMainCf) {
  std::string dir;
  Status s = ErrorFor("smtputf8_enable = maybe\n", &dir);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), dir + "/main.cf: bad boolean configuration: smtputf8_enable = maybe");
  s = ErrorFor("compatibility_level = foo\n", &dir);
  EXPECT_EQ(s.message(), dir + "/main.cf: malformed compatibility level syntax: \"foo\"");
  s = ErrorFor("compatibility_level = 3.6junk\n", &dir);
  EXPECT_EQ(s.message(), dir + "/main.cf: malformed compatibility level syntax: \"3.6junk\"");
  // The level only matters when it decides smtputf8_enable.
  EXPECT_TRUE(SettingsFor("compatibility_level = foo\nsmtputf8_enable = no\n").smtputf8_enable == false);
  s = ErrorFor("smtputf8_enable = ${x\n", &dir);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find(dir + "/main.cf: smtputf8_enable: macro processing error"), std::string::npos)
      << s.message();
}

TEST(PostfixSettings, DefaultDatabaseType) {
  EXPECT_EQ(SettingsFor("").default_database_type, "");
  EXPECT_EQ(SettingsFor("default_database_type = lmdb\n").default_database_type, "lmdb");
  EXPECT_EQ(SettingsFor("t = cdb\ndefault_database_type = $t\n").default_database_type, "cdb");
}

TEST(PostfixSettings, MissingMainCf) {
  TempDir dir;
  PostfixSettings settings;
  settings.smtputf8_enable = true;
  // Without -c: Postfix's defaults.
  EXPECT_OK(ReadPostfixSettings(dir.path(), false, &settings));
  EXPECT_FALSE(settings.smtputf8_enable);
  EXPECT_EQ(settings.default_database_type, "");
  // With -c: postmap's error.
  Status s = ReadPostfixSettings(dir.path(), true, &settings);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "open " + dir.path() + "/main.cf: No such file or directory");
  s = ReadPostfixSettings(dir.WriteFile("plain", ""), true, &settings);
  EXPECT_EQ(s.message(), "open " + dir.path() + "/plain/main.cf: Not a directory");
  s = ReadPostfixSettings(dir.path() + "/nonexistent", false, &settings);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace mctable
