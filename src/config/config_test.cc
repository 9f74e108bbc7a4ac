// Tests for Config: the main.cf syntax, the two ways a table is configured,
// and Postfix's wording of every error.  The expected texts were observed
// with Debian's postmap 3.7.11 (postmap -c DIR -q k memcache:FILE).
#include "mctable/config.h"

#include <gtest/gtest.h>

#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::TempDir;

Config ParseOrDie(std::string_view text, std::string origin = "/etc/postfix/mc.cf") {
  Config config;
  Status s = Config::Parse(text, std::move(origin), &config);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return config;
}

std::string ValueOf(const Config& config, std::string_view name) {
  std::optional<std::string> value = config.Find(name);
  return value ? *value : "<unset>";
}

TEST(ConfigParse, NameValueWithTrimming) {
  Config config = ParseOrDie("memcache = inet:127.0.0.1:11211\nkey_format\t=\tt:%s\t\nttl=5\r\n");
  EXPECT_EQ(ValueOf(config, "memcache"), "inet:127.0.0.1:11211");
  EXPECT_EQ(ValueOf(config, "key_format"), "t:%s");
  EXPECT_EQ(ValueOf(config, "ttl"), "5");  // "\r" is trimmed whitespace
  EXPECT_EQ(ValueOf(config, "domain"), "<unset>");
  EXPECT_EQ(config.origin(), "/etc/postfix/mc.cf");
}

TEST(ConfigParse, EmptyValueAndEqualsInValue) {
  Config config = ParseOrDie("key_format =\ndomain = a = b\nx==y\n");
  EXPECT_EQ(ValueOf(config, "key_format"), "");
  EXPECT_EQ(ValueOf(config, "domain"), "a = b");
  EXPECT_EQ(ValueOf(config, "x"), "=y");
}

TEST(ConfigParse, NamesAreCaseSensitive) {
  Config config = ParseOrDie("KEY_FORMAT = a:%s\n");
  EXPECT_EQ(ValueOf(config, "key_format"), "<unset>");
  EXPECT_EQ(ValueOf(config, "KEY_FORMAT"), "a:%s");
}

TEST(ConfigParse, ContinuationKeepsTheContinuedLinesWhitespace) {
  // postmap -v: "key_format = a:  %s" for "key_format = a:\n  %s".
  EXPECT_EQ(ValueOf(ParseOrDie("key_format = a:\n  %s\n"), "key_format"), "a:  %s");
  EXPECT_EQ(ValueOf(ParseOrDie("key_format = a:%s\\\n  x\n"), "key_format"), "a:%s\\  x");
}

TEST(ConfigParse, CommentsAndBlankLinesDoNotEndALogicalLine) {
  // Observed: each of these gives "key_format = a:%s  cont".
  for (const char* text : {"key_format = a:%s\n# comment\n  cont\n", "key_format = a:%s\n\n  cont\n",
                           "key_format = a:%s\n\t\n  cont\n",
                           "key_format = a:%s\n   # indented comment\n  cont\n"}) {
    EXPECT_EQ(ValueOf(ParseOrDie(text), "key_format"), "a:%s  cont") << text;
  }
  // An indented "#" line is a comment, not a continuation.
  EXPECT_EQ(ValueOf(ParseOrDie("key_format = a:%s\n  #cont\n"), "key_format"), "a:%s");
  // "#" after a value is part of the value.
  EXPECT_EQ(ValueOf(ParseOrDie("key_format = c:%s # not comment\n"), "key_format"),
            "c:%s # not comment");
  // No final newline.
  EXPECT_EQ(ValueOf(ParseOrDie("#x\n   #y\nkey_format = a:%s"), "key_format"), "a:%s");
}

TEST(ConfigParse, LeadingWhitespaceLineIsDroppedWithPostfixWarning) {
  CapturedWarnings warnings;
  Config config = ParseOrDie("  memcache = inet:127.0.0.1:38211\n   more\nttl = 7\n", "/x/c.cf");
  EXPECT_EQ(ValueOf(config, "memcache"), "<unset>");
  EXPECT_EQ(ValueOf(config, "ttl"), "7");
  ASSERT_EQ(warnings.lines().size(), 1u);
  EXPECT_EQ(warnings.lines()[0],
            "/x/c.cf: logical line must not start with whitespace: \"  memcache = inet:127.0.0.1:38...\"");
  CapturedWarnings short_warnings;
  ParseOrDie(" a = 1\n", "f");
  ASSERT_EQ(short_warnings.lines().size(), 1u);
  EXPECT_EQ(short_warnings.lines()[0], "f: logical line must not start with whitespace: \" a = 1\"");
}

TEST(ConfigParse, LaterDuplicateWinsWithPostfixWarning) {
  CapturedWarnings warnings;
  Config config = ParseOrDie("memcache = m\nkey_format = a:%s\nkey_format = b:%s\nkey_format = c:%s\n",
                             "/tmp/d.cf");
  EXPECT_EQ(ValueOf(config, "key_format"), "c:%s");
  // Postfix names the line of the later entry and shows the value it replaces.
  ASSERT_EQ(warnings.lines().size(), 2u);
  EXPECT_EQ(warnings.lines()[0], "/tmp/d.cf, line 3: overriding earlier entry: key_format=a:%s");
  EXPECT_EQ(warnings.lines()[1], "/tmp/d.cf, line 4: overriding earlier entry: key_format=b:%s");
}

TEST(ConfigParse, UnknownNamesAreKept) {
  Config config = ParseOrDie("frobnicate = yes\n");
  EXPECT_EQ(ValueOf(config, "frobnicate"), "yes");
}

TEST(ConfigParse, MalformedLinesNameFileAndFirstLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"memcache = x\nthis line is bad\n",
       "/tmp/c.cf, line 2: missing '=' after attribute name: \"this line is bad\""},
      {"memcache = x\n\n# c\nbad\n", "/tmp/c.cf, line 4: missing '=' after attribute name: \"bad\""},
      // The whole logical line is quoted; the line is where it starts.
      {"a = 1\n#c\nbad\n\n  more\n  more2\n",
       "/tmp/c.cf, line 3: missing '=' after attribute name: \"bad  more  more2\""},
      {"a\t=\t1\n=\n", "/tmp/c.cf, line 2: missing attribute name: \"=\""},
      {"memcache = x\n=x\n", "/tmp/c.cf, line 2: missing attribute name: \"=x\""},
      {"key format = x\n", "/tmp/c.cf, line 1: missing '=' after attribute name: \"key format = x\""},
  };
  for (const Case& c : cases) {
    Config config;
    Status s = Config::Parse(c.text, "/tmp/c.cf", &config);
    EXPECT_TRUE(s.IsConfigError()) << c.text;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(ConfigParse, ContinuationOfAValueIsNotAnError) {
  // " =x" after "memcache = ..." continues the value (postmap then fails on
  // the endpoint, not on the syntax).
  EXPECT_EQ(ValueOf(ParseOrDie("memcache = inet:127.0.0.1:38211\n =x\n"), "memcache"),
            "inet:127.0.0.1:38211 =x");
}

TEST(ConfigParse, TextAfterNulIsIgnored) {
  CapturedWarnings warnings;
  Config config = ParseOrDie(std::string_view("ttl = 5\0junk\nx = 1\n", 19), "f");
  EXPECT_EQ(ValueOf(config, "ttl"), "5");
  EXPECT_EQ(ValueOf(config, "x"), "1");
  ASSERT_EQ(warnings.lines().size(), 1u);
  EXPECT_EQ(warnings.lines()[0], "f, line 1: text after null byte may be ignored");
}

TEST(ConfigGetBool, YesNoInAnyCaseElseBooleanError) {
  Config config = ParseOrDie("tls = YES\ntls_verify = no\nbad = maybe\n");
  bool value = false;
  ASSERT_TRUE(config.GetBool("tls", false, &value).ok());
  EXPECT_TRUE(value);
  ASSERT_TRUE(config.GetBool("tls_verify", true, &value).ok());
  EXPECT_FALSE(value);
  ASSERT_TRUE(config.GetBool("unset", true, &value).ok());
  EXPECT_TRUE(value);
  Status s = config.GetBool("bad", true, &value);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "/etc/postfix/mc.cf: bad boolean configuration: bad = maybe");
}

TEST(ConfigGetInt, DefaultsAndValues) {
  Config config = ParseOrDie("ttl = -5\nflags = +7\nmax_try = 010\nbig = 2147483647\nsmall = -2147483648\n");
  int value = 0;
  ASSERT_TRUE(config.GetInt("ttl", 3600, 0, 0, &value).ok());
  EXPECT_EQ(value, -5);  // no bound: accepted, as Postfix does
  ASSERT_TRUE(config.GetInt("flags", 0, 0, 0, &value).ok());
  EXPECT_EQ(value, 7);
  ASSERT_TRUE(config.GetInt("max_try", 2, 1, 0, &value).ok());
  EXPECT_EQ(value, 10);  // decimal, not octal
  ASSERT_TRUE(config.GetInt("big", 0, 0, 0, &value).ok());
  EXPECT_EQ(value, 2147483647);
  ASSERT_TRUE(config.GetInt("small", 0, 0, 0, &value).ok());
  EXPECT_EQ(value, -2147483647 - 1);
  ASSERT_TRUE(config.GetInt("timeout", 2, 0, 0, &value).ok());
  EXPECT_EQ(value, 2);
}

TEST(ConfigGetInt, ErrorsUsePostfixWordingForFiles) {
  struct Case {
    const char* text;
    const char* name;
    int min, max;
    const char* message;
  } cases[] = {
      {"ttl = 5x\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = 5x"},
      {"ttl = \n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = "},
      {"ttl = 99999999999\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = 99999999999"},
      {"ttl = 2147483648\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = 2147483648"},
      {"ttl = -2147483649\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = -2147483649"},
      {"ttl = 5 x\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = 5 x"},
      {"ttl = -\n", "ttl", 0, 0, "/tmp/c.cf: bad numerical configuration: ttl = -"},
      {"max_try = 0x10\n", "max_try", 1, 0, "/tmp/c.cf: bad numerical configuration: max_try = 0x10"},
      {"max_try = 0\n", "max_try", 1, 0, "/tmp/c.cf: invalid max_try parameter value 0 < 1"},
      {"max_try = -3\n", "max_try", 1, 0, "/tmp/c.cf: invalid max_try parameter value -3 < 1"},
      {"max_try = 11\n", "max_try", 1, 10, "/tmp/c.cf: invalid max_try parameter value 11 > 10"},
  };
  for (const Case& c : cases) {
    Config config = ParseOrDie(c.text, "/tmp/c.cf");
    int value = 12345;
    Status s = config.GetInt(c.name, 2, c.min, c.max, &value);
    EXPECT_TRUE(s.IsConfigError()) << c.text;
    EXPECT_EQ(s.message(), c.message);
    EXPECT_EQ(value, 12345) << "value must be left alone on error";
  }
  // The default is range-checked too, as cfg_get_int does.
  int value = 0;
  Status s = ParseOrDie("", "/tmp/c.cf").GetInt("max_try", 0, 1, 0, &value);
  EXPECT_EQ(s.message(), "/tmp/c.cf: invalid max_try parameter value 0 < 1");
}

TEST(ConfigGetString, DefaultWhenUnset) {
  Config config = ParseOrDie("key_format =\n");
  EXPECT_EQ(config.GetString("key_format", "%s"), "");  // set but empty is not the default
  EXPECT_EQ(config.GetString("memcache", "inet:localhost:11211"), "inet:localhost:11211");
}

TEST(ConfigGetString, MinimumLengthWithPostfixWording) {
  // Observed: "postmap: fatal: /tmp/t.cf: bad string length 0 < 1: dbname = ".
  Config config = ParseOrDie("dbname =\nuser = u\n", "/tmp/t.cf");
  std::string value = "untouched";
  Status s = config.GetString("dbname", "", 1, &value);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "/tmp/t.cf: bad string length 0 < 1: dbname = ");
  EXPECT_EQ(value, "untouched");
  s = config.GetString("table", "", 1, &value);
  EXPECT_EQ(s.message(), "/tmp/t.cf: bad string length 0 < 1: table = ");
  EXPECT_OK(config.GetString("user", "", 1, &value));
  EXPECT_EQ(value, "u");
  EXPECT_OK(config.GetString("result_format", "%s", 1, &value));
  EXPECT_EQ(value, "%s");
}

TEST(ConfigGetString, MainCfFormNamesTheFullParameter) {
  TempDir dir;
  dir.WriteFile("main.cf", "pg_dbname =\n");
  Config config;
  ASSERT_TRUE(Config::ForTable("pg", dir.path(), &config).ok());
  std::string value;
  EXPECT_EQ(config.GetString("dbname", "", 1, &value).message(), "bad string length 0 < 1: pg_dbname = ");
  bool flag = false;
  dir.WriteFile("main.cf", "pg_require_result_set = maybe\n");
  ASSERT_TRUE(Config::ForTable("pg", dir.path(), &config).ok());
  EXPECT_EQ(config.GetBool("require_result_set", true, &flag).message(),
            "bad boolean configuration: pg_require_result_set = maybe");
}

TEST(ConfigGetBool, YesNoInAnyCase) {
  Config config = ParseOrDie("a = YES\nb = no\nc = 1\n", "/tmp/b.cf");
  bool value = false;
  EXPECT_OK(config.GetBool("a", false, &value));
  EXPECT_TRUE(value);
  EXPECT_OK(config.GetBool("b", true, &value));
  EXPECT_FALSE(value);
  EXPECT_OK(config.GetBool("unset", true, &value));
  EXPECT_TRUE(value);
  Status s = config.GetBool("c", true, &value);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "/tmp/b.cf: bad boolean configuration: c = 1");
}

TEST(ConfigForTable, FileNamesStartWithSlashOrDot) {
  TempDir dir;
  std::string path = dir.WriteFile("mc.cf", "ttl = 9\n");
  Config config;
  ASSERT_TRUE(Config::ForTable(path, "/nonexistent", &config).ok());
  EXPECT_EQ(config.origin(), path);
  EXPECT_EQ(ValueOf(config, "ttl"), "9");

  // A relative "./" name is a file too (relative to the working directory).
  Config relative;
  Status s = Config::ForTable("./no-such-mctable-config.cf", "/nonexistent", &relative);
  EXPECT_EQ(s.message(), "open ./no-such-mctable-config.cf: No such file or directory");
}

TEST(ConfigForTable, MissingFileUsesStrerror) {
  Config config;
  Status s = Config::ForTable("/tmp/cfgexp-no-such-dir/none.cf", "/etc/postfix", &config);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "open /tmp/cfgexp-no-such-dir/none.cf: No such file or directory");
}

TEST(ConfigForTable, DirectoryIsAReadError) {
  // Observed: "postmap: fatal: read /tmp/cfgexp/dd: Is a directory".
  TempDir dir;
  Config config;
  Status s = Config::ForTable(dir.path(), "/etc/postfix", &config);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "read " + dir.path() + ": Is a directory");
}

TEST(ConfigForTable, NoExpansionInsideATablesOwnFile) {
  TempDir dir;
  std::string path = dir.WriteFile("mc.cf", "key_format = $foo:%s\n");
  Config config;
  ASSERT_TRUE(Config::ForTable(path, dir.path(), &config).ok());
  EXPECT_EQ(ValueOf(config, "key_format"), "$foo:%s");  // observed: "get $foo:k"
}

TEST(ConfigForTable, MainCfFormUsesPrefixAndExpansion) {
  TempDir dir;
  dir.WriteFile("main.cf",
                "port = 38211\n"
                "mc_memcache = inet:127.0.0.1:${port}\n"
                "mc_key_format = $(pre)$nosuch:%s\n"
                "pre = q\n"  // defined after use: main.cf is read whole first
                "other_ttl = 5\n"
                "ttl = 6\n");
  Config config;
  ASSERT_TRUE(Config::ForTable("mc", dir.path(), &config).ok());
  EXPECT_EQ(config.origin(), "mc");
  EXPECT_EQ(ValueOf(config, "memcache"), "inet:127.0.0.1:38211");
  EXPECT_EQ(ValueOf(config, "key_format"), "q:%s");  // observed: "get q:k"
  EXPECT_EQ(ValueOf(config, "ttl"), "<unset>");        // not mc_ttl
  EXPECT_EQ(ValueOf(config, "port"), "<unset>");
}

Config MainCfTable(const std::string& main_cf) {
  TempDir dir;
  dir.WriteFile("main.cf", main_cf);
  Config config;
  Status s = Config::ForTable("mc", dir.path(), &config);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return config;
}

TEST(ConfigForTable, MacroExpansionForms) {
  struct Case {
    const char* main_cf;
    const char* key_format;
  } cases[] = {
      {"mc_key_format = $$x:%s\n", "$x:%s"},                     // observed "get $x:k"
      {"mc_key_format = a:$a\na = $b\nb = %s\n", "a:%s"},        // recursive
      {"mc_key_format = ${undefined?x}:${pre:y}:%s\npre = 1\n", "::%s"},  // observed "get ::k"
      {"mc_key_format = ${pre?x}:${none:y}:%s\npre = 1\n", "x:y:%s"},
      {"mc_key_format = ${pre?{a b}}%s\npre = 1\n", "a b%s"},
      {"mc_key_format = ${pre?{t}:{f}}${none?{t}:{f}}\npre = 1\n", "tf"},
      {"mc_key_format = ${empty?{t}:{f}}|${empty:e}\nempty =\n", "f|e"},
      {"mc_key_format = ${{$pre} == {1}?{eq}:{ne}}${{$pre} != {1}?{x}}\npre = 1\n", "eq"},
      {"mc_key_format = $config_directory_x${config_directory?:set}\n", ":set"},
  };
  for (const Case& c : cases) EXPECT_EQ(ValueOf(MainCfTable(c.main_cf), "key_format"), c.key_format) << c.main_cf;
}

TEST(ConfigForTable, MacroErrorsAreConfigErrors) {
  struct Case {
    const char* main_cf;
    const char* why;
  } cases[] = {
      {"mc_key_format = a:$a\na = $a\n", "unreasonable macro call nesting: \"a\""},
      {"mc_key_format = x${a\n", "truncated macro reference: \"x${a\""},
      {"mc_key_format = x$\n", "empty macro name: \"x$\""},
      {"mc_key_format = x$-y%s\n", "empty macro name: \"x$-y%s\""},
      {"mc_key_format = ${a-b}\n", "attribute name syntax error at: \"...a>>>-b\""},
  };
  for (const Case& c : cases) {
    TempDir dir;
    dir.WriteFile("main.cf", c.main_cf);
    Config config;
    Status s = Config::ForTable("mc", dir.path(), &config);
    EXPECT_TRUE(s.IsConfigError()) << c.main_cf;
    EXPECT_EQ(s.message(), dir.path() + "/main.cf: mc_key_format: macro processing error: " + c.why);
  }
  // A broken parameter that is not the table's does not matter.
  EXPECT_EQ(ValueOf(MainCfTable("unrelated = x$\nmc_ttl = 1\n"), "ttl"), "1");
}

TEST(ConfigForTable, ExpansionThatDoublesPerLevelIsBounded) {
  // a0 = $a1$a1, a1 = $a2$a2, ... a60 = 1 KiB: 2^70 bytes unbounded.
  std::string main_cf = "mc_key_format = $a0:%s\n";
  for (int i = 0; i < 60; ++i)
    main_cf += "a" + std::to_string(i) + " = $a" + std::to_string(i + 1) + "$a" + std::to_string(i + 1) + "\n";
  main_cf += "a60 = " + std::string(1024, 'x') + "\n";
  TempDir dir;
  dir.WriteFile("main.cf", main_cf);
  Config config;
  Status s = Config::ForTable("mc", dir.path(), &config);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message().rfind(dir.path() + "/main.cf: mc_key_format: macro processing error: "
                              "expansion is longer than 1048576 bytes", 0),
            0u)
      << s.message();
  // Below the bound, the same shape expands: 2^9 KiB.
  main_cf = "mc_key_format = $a0\n";
  for (int i = 0; i < 9; ++i)
    main_cf += "a" + std::to_string(i) + " = $a" + std::to_string(i + 1) + "$a" + std::to_string(i + 1) + "\n";
  main_cf += "a9 = " + std::string(1024, 'x') + "\n";
  dir.WriteFile("main.cf", main_cf);
  ASSERT_TRUE(Config::ForTable("mc", dir.path(), &config).ok());
  EXPECT_EQ(config.GetString("key_format", "").size(), size_t{1} << 19);
}

TEST(ConfigForTable, MainCfNumericErrorsUseTheFullParameterName) {
  struct Case {
    const char* main_cf;
    const char* name;
    const char* message;
  } cases[] = {
      {"mc_ttl = 5x\n", "ttl", "bad numerical configuration: mc_ttl = 5x"},
      {"mc_ttl = \n", "ttl", "bad numerical configuration: mc_ttl = "},
      {"mc_ttl = 99999999999\n", "ttl", "bad numerical configuration: mc_ttl = 99999999999"},
      {"mc_max_try = 0\n", "max_try", "invalid mc_max_try parameter value 0 < 1"},
      {"mc_max_try = 0x1\n", "max_try", "bad numerical configuration: mc_max_try = 0x1"},
      {"n = 0\nmc_max_try = $n\n", "max_try", "invalid mc_max_try parameter value 0 < 1"},
  };
  for (const Case& c : cases) {
    Config config = MainCfTable(c.main_cf);
    int value = 0;
    Status s = config.GetInt(c.name, 2, 1, 0, &value);
    EXPECT_EQ(s.message(), c.message) << c.main_cf;
  }
  int value = 0;
  ASSERT_TRUE(MainCfTable("n = 7\nmc_max_try = $n\n").GetInt("max_try", 2, 1, 0, &value).ok());
  EXPECT_EQ(value, 7);
}

TEST(ConfigForTable, MainCfErrors) {
  Config config;
  Status s = Config::ForTable("mc", "/tmp/cfgexp-no-such-dir", &config);
  EXPECT_EQ(s.message(), "open /tmp/cfgexp-no-such-dir/main.cf: No such file or directory");

  TempDir dir;
  dir.WriteFile("main.cf", "mc_memcache = inet:127.0.0.1:38211\nbad line\n");
  s = Config::ForTable("mc", dir.path(), &config);
  EXPECT_EQ(s.message(), dir.path() + "/main.cf, line 2: missing '=' after attribute name: \"bad line\"");
}

}  // namespace
}  // namespace mctable
