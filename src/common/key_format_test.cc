// Tests for KeyFormat.  The "observed" vectors are the keys Debian's
// postmap 3.7.11 sent to a capturing server for the same key_format and
// lookup key (after its case folding); where we deliberately differ, the
// test says so.
#include "common/key_format.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

constexpr char kSuppressed[] = "<suppressed>";

std::string ExpandOrSuppressed(std::string_view format, std::string_view key) {
  KeyFormat key_format;
  Status s = KeyFormat::Parse(format, "/etc/postfix/mc.cf", &key_format);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::string out = "garbage";
  return key_format.Expand(key, &out) ? out : kSuppressed;
}

TEST(KeyFormat, DefaultIsIdentity) {
  KeyFormat key_format;
  EXPECT_TRUE(key_format.is_identity());
  EXPECT_EQ(key_format.format(), "%s");
  std::string out = "old contents";
  ASSERT_TRUE(key_format.Expand("User@Example.COM", &out));
  EXPECT_EQ(out, "User@Example.COM");
}

TEST(KeyFormat, ObservedPostfixVectors) {
  struct Case {
    const char* format;
    const char* key;
    const char* sent;
  } cases[] = {
      {"%3", "user@mail.example.com", "mail"},
      {"%1.%2", "u@.example.com", "com.example"},
      {"%1", "u@com", "com"},
      {"%2", "u@com", kSuppressed},
      {"%9", "u@a.b.c.d.e.f.g.h.i", "a"},
      {"%1", "plain", kSuppressed},
      {"%u", "@example.com", kSuppressed},
      {"%U", "@x.com", kSuppressed},
      {"%u", "user@", "user"},
      {"%u", "plain", "plain"},
      {"%u", "a@b@c.d", "a@b"},
      {"%u", "@", kSuppressed},
      {"%d", "user@", kSuppressed},
      {"%d", "@example.com", "example.com"},
      {"%d", "plain", kSuppressed},
      {"%d", "@", kSuppressed},
      {"%s", "@", "@"},
      {"%S", "user@x", "user@x"},
      {"%U-%D", "a@b@c.d", "a@b-c.d"},
      {"x%%y%s", "k", "x%yk"},
      {"pre:%s", "k", "pre:k"},
      {"aliases:%s", "a b", "aliases:a b"},  // whitespace is the caller's to skip
      {"", "k", ""},                         // "empty lookup key expansion" is the caller's
  };
  for (const Case& c : cases)
    EXPECT_EQ(ExpandOrSuppressed(c.format, c.key), c.sent) << c.format << " on " << c.key;
}

TEST(KeyFormat, EmptyNeededLabelSuppressesUnlike37) {
  // Postfix 3.7 drops empty labels: it sent "mail" for %3 on
  // u@mail..example.com and "com" for %1 on u@example.com.  A label from the
  // wrong position can collide with another key, so we skip such keys.
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@mail..example.com"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@example.com."), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%2", "u@example.com."), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@.example.com"), kSuppressed);  // 3.7 agrees
  // Labels that are not needed may be empty.
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@mail..example.com"), "com");
  EXPECT_EQ(ExpandOrSuppressed("%2.%1", "u@..example.com"), "example.com");
}

TEST(KeyFormat, AnyUnfillableEscapeSuppressesTheWholeKey) {
  EXPECT_EQ(ExpandOrSuppressed("%s/%d", "plain"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%u/%d", "user@"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%d/%u", "@d"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%1/%4", "u@a.b.c"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%1/%3", "u@a.b.c"), "c/a");
}

TEST(KeyFormat, AllEscapesTogether) {
  EXPECT_EQ(ExpandOrSuppressed("%%%s|%S|%u|%U|%d|%D|%1|%2|%3|%%", "joe@mail.example.com"),
            "%joe@mail.example.com|joe@mail.example.com|joe|joe|mail.example.com|"
            "mail.example.com|com|example|mail|%");
}

TEST(KeyFormat, InvalidTemplatesUsePostfixWording) {
  // Observed: "postmap: fatal: db_common_parse: /tmp/cfgexp/kf.cf: Invalid
  // query template: %x" and "...: ab%".
  for (const char* format : {"%x", "ab%", "%0", "%s%", "%a%s", "%%%"}) {
    KeyFormat key_format;
    Status s = KeyFormat::Parse(format, "/tmp/cfgexp/kf.cf", &key_format);
    EXPECT_TRUE(s.IsConfigError()) << format;
    EXPECT_EQ(s.message(), std::string("db_common_parse: /tmp/cfgexp/kf.cf: Invalid query template: ") + format);
  }
}

TEST(KeyFormat, ParseRecordsTheTemplate) {
  KeyFormat key_format;
  ASSERT_TRUE(KeyFormat::Parse("verify:%s", "t", &key_format).ok());
  EXPECT_EQ(key_format.format(), "verify:%s");
  EXPECT_FALSE(key_format.is_identity());
  ASSERT_TRUE(KeyFormat::Parse("%s", "t", &key_format).ok());
  EXPECT_TRUE(key_format.is_identity());
}

TEST(KeyFormat, ExpandReplacesAndReusesTheOutput) {
  KeyFormat key_format;
  ASSERT_TRUE(KeyFormat::Parse("p:%u", "t", &key_format).ok());
  std::string out;
  out.reserve(256);
  const char* storage = out.data();
  ASSERT_TRUE(key_format.Expand("someone@example.com", &out));
  EXPECT_EQ(out, "p:someone");
  ASSERT_TRUE(key_format.Expand("x", &out));
  EXPECT_EQ(out, "p:x");
  EXPECT_EQ(out.data(), storage) << "Expand must reuse the output's capacity";
}

TEST(KeyFormat, BytesPassThrough) {
  std::string key("a\0b@c\xff.d", 8);
  EXPECT_EQ(ExpandOrSuppressed("%u|%1", key), std::string("a\0b|d", 5));
}

}  // namespace
}  // namespace mctable
