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

TEST(KeyFormat, EmptyLabelsAreDroppedAsPostfixDrops) {
  // Postfix 3.7 splits the domain at dots dropping empty labels (run
  // through Debian's postmap with a sqlite query "SELECT '[%1][%2][%3]'").
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@mail..example.com"), "mail");
  EXPECT_EQ(ExpandOrSuppressed("%3.%2.%1", "u@.mail.example.com"), "mail.example.com");
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@example.com.."), "com");
  EXPECT_EQ(ExpandOrSuppressed("%2.%1", "u@..example..com.."), "example.com");
  // Fewer non-empty labels than the highest %N: the key is not queried.
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@.example.com"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%2", "u@example..com"), "example");
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@example..com"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%2", "u@..com"), kSuppressed);
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@..."), kSuppressed);
  // %d keeps the domain as written.
  EXPECT_EQ(ExpandOrSuppressed("%d/%1", "u@mail..example.com"), "mail..example.com/com");
}

TEST(KeyFormat, AbsoluteDomainIsTheSameDomain) {
  // "example.com." is example.com written as an absolute name: its labels
  // are those of example.com, as Postfix 3.7 expands them.  %d keeps the
  // domain as written.
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@example.com."), "com");
  EXPECT_EQ(ExpandOrSuppressed("%2", "u@example.com."), "example");
  EXPECT_EQ(ExpandOrSuppressed("%2.%1", "u@mail.example.com."), "example.com");
  EXPECT_EQ(ExpandOrSuppressed("%3", "u@example.com."), kSuppressed);  // too few labels
  EXPECT_EQ(ExpandOrSuppressed("%d", "u@example.com."), "example.com.");
  EXPECT_EQ(ExpandOrSuppressed("%1", "u@."), kSuppressed);  // the root has no labels
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

// A quoter that doubles single quotes and brackets each part, so tests see
// exactly which parts went through it; it refuses parts containing "!".
class BracketQuoter : public ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override {
    if (value.find('!') != std::string_view::npos) return false;
    out->push_back('[');
    for (char c : value) {
      if (c == '\'') out->push_back('\'');
      out->push_back(c);
    }
    out->push_back(']');
    return true;
  }
};

TEST(KeyFormat, QuoterSeesEverySubstitutedPartAndNothingElse) {
  KeyFormat query;
  ASSERT_TRUE(KeyFormat::Parse("SELECT '%s' x%%y '%u' '%d' %1 %S%U%D", "t", &query).ok());
  BracketQuoter quoter;
  std::string out;
  ASSERT_TRUE(query.Expand("o'brien@ex.com", &quoter, &out));
  EXPECT_EQ(out, "SELECT '[o''brien@ex.com]' x%y '[o''brien]' '[ex.com]' [com] "
                 "[o''brien@ex.com][o''brien][ex.com]");
  // The identity template is quoted too.
  KeyFormat identity;
  ASSERT_TRUE(identity.Expand("a'b", &quoter, &out));
  EXPECT_EQ(out, "[a''b]");
  // A refused part fails the whole expansion.
  EXPECT_FALSE(query.Expand("bad!@ex.com", &quoter, &out));
}

TEST(KeyFormat, ResultTemplateObservedWithPostmap) {
  // Observed with Debian's postmap 3.7.11 and PostgreSQL: query
  // "select '%u|%d|%1|%2|%S|%U|%D|%%'" and result_format
  // "<%s|%u|%d|%S|%U|%D|%1>" give, for the key a@b.c, the line below.
  KeyFormat query, result;
  ASSERT_TRUE(KeyFormat::Parse("%u|%d|%1|%2|%S|%U|%D|%%", "t", &query).ok());
  ASSERT_TRUE(KeyFormat::Parse("<%s|%u|%d|%S|%U|%D|%1>", "t", KeyFormat::Kind::kResult, &result).ok());
  std::string value, out;
  ASSERT_TRUE(query.Expand("a@b.c", &value));
  ASSERT_TRUE(result.ExpandResult(value, "a@b.c", &out));
  EXPECT_EQ(out, "<a|b.c|c|b|a@b.c|a|b.c|%|a|b.c|c|b|a|b.c|a|b.c|%|a@b.c|a|b.c|c>");
  ASSERT_TRUE(query.Expand("x@y@b.c", &value));
  ASSERT_TRUE(result.ExpandResult(value, "x@y@b.c", &out));
  EXPECT_EQ(out, "<x@y|b.c|c|b|x@y@b.c|x@y|b.c|%|x@y|b.c|c|b|x@y@b.c|x|y|b.c|%|x@y@b.c|x@y|b.c|c>");
}

TEST(KeyFormat, ResultTemplateSkipsValuesThatCannotFillIt) {
  KeyFormat domain, user, plain;
  ASSERT_TRUE(KeyFormat::Parse("smtp:[%d]", "t", KeyFormat::Kind::kResult, &domain).ok());
  ASSERT_TRUE(KeyFormat::Parse("%u+x", "t", KeyFormat::Kind::kResult, &user).ok());
  ASSERT_TRUE(KeyFormat::Parse("<%s>", "t", KeyFormat::Kind::kResult, &plain).ok());
  std::string out;
  EXPECT_TRUE(domain.ExpandResult("mx@relay.example", "k", &out));
  EXPECT_EQ(out, "smtp:[relay.example]");
  EXPECT_FALSE(domain.ExpandResult("unqualified", "k", &out));
  EXPECT_FALSE(domain.ExpandResult("user@", "k", &out));
  EXPECT_TRUE(user.ExpandResult("plain", "k", &out));
  EXPECT_EQ(out, "plain+x");
  EXPECT_FALSE(user.ExpandResult("@domain", "k", &out));
  // Lower-case escapes of a result template ask nothing of the key.
  EXPECT_TRUE(domain.KeyFits("bare"));
  EXPECT_TRUE(plain.ExpandResult("v", "", &out));
  EXPECT_EQ(out, "<v>");
}

TEST(KeyFormat, ResultTemplateKeyEscapesRestrictTheKey) {
  KeyFormat result;
  ASSERT_TRUE(KeyFormat::Parse("%s@%D", "t", KeyFormat::Kind::kResult, &result).ok());
  EXPECT_TRUE(result.KeyFits("u@example.com"));
  EXPECT_FALSE(result.KeyFits("bare"));
  ASSERT_TRUE(KeyFormat::Parse("%3-%U", "t", KeyFormat::Kind::kResult, &result).ok());
  EXPECT_TRUE(result.KeyFits("u@a.b.c"));
  EXPECT_FALSE(result.KeyFits("u@b.c"));
  EXPECT_FALSE(result.KeyFits("@a.b.c"));
  std::string out;
  ASSERT_TRUE(result.ExpandResult("v", "u@a.b.c", &out));
  EXPECT_EQ(out, "a-u");
}

TEST(KeyFormat, InvalidResultTemplateUsesPostfixWording) {
  // Observed: "postmap: fatal: db_common_parse: /tmp/t.cf: Invalid result template: %x".
  KeyFormat result;
  Status s = KeyFormat::Parse("%x", "/tmp/t.cf", KeyFormat::Kind::kResult, &result);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "db_common_parse: /tmp/t.cf: Invalid result template: %x");
}

}  // namespace
}  // namespace mctable
