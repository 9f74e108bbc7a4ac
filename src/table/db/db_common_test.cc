// Tests for DbCommon: configuration (with Postfix's messages), which keys
// are queried, and how returned values become the answer.
#include "table/db/db_common.h"

#include <gtest/gtest.h>

#include <cstring>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;

class IdentityQuoter : public ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override {
    out->append(value);
    return true;
  }
};

DbCommon::Naming PgsqlNaming() {
  DbCommon::Naming naming{"pgsql", "/etc/postfix/pg.cf", "dict_pgsql_lookup"};
  naming.select_function = true;
  return naming;
}

Status Configure(const std::string& text, std::unique_ptr<DbCommon>* out,
                 DbCommon::Naming naming = PgsqlNaming(), OpenOptions options = {}) {
  Config config;
  Status s = Config::Parse(text, naming.name, &config);
  if (!s.ok()) return s;
  return DbCommon::Configure(config, std::move(naming), options, out);
}

std::string QueryFor(const DbCommon& common, const std::string& key) {
  std::string lookup_key, query;
  Status s = common.PrepareKey(key, &lookup_key);
  if (s.IsNotFound()) return "<not found>";  // the reason is for verbose logs
  if (!s.ok()) return "<" + s.ToString() + ">";
  EXPECT_TRUE(common.ExpandQuery(lookup_key, IdentityQuoter(), &query));
  return query;
}

TEST(DbCommon, LegacyQueryForms) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("table = aliases\nselect_field = v\nwhere_field = k\n"
                        "additional_conditions = and v <> 'x'\n", &common).ok());
  EXPECT_EQ(common->query_template(), "SELECT v FROM aliases WHERE k='%s' and v <> 'x'");
  ASSERT_TRUE(Configure("table = t\nselect_field = v\nwhere_field = k\n", &common).ok());
  EXPECT_EQ(common->query_template(), "SELECT v FROM t WHERE k='%s' ");
  // select_function (pgsql only) wins over the table fields; query wins over both.
  ASSERT_TRUE(Configure("select_function = lookup\ntable = t\n", &common).ok());
  EXPECT_EQ(common->query_template(), "SELECT lookup('%s')");
  ASSERT_TRUE(Configure("query = SELECT 1\nselect_function = lookup\n", &common).ok());
  EXPECT_EQ(common->query_template(), "SELECT 1");
  DbCommon::Naming mysql{"mysql", "/etc/postfix/my.cf", "dict_mysql_lookup"};
  Status s = Configure("select_function = lookup\n", &common, mysql);
  EXPECT_EQ(s.message(), "/etc/postfix/my.cf: bad string length 0 < 1: table = ");
}

TEST(DbCommon, ConfigurationErrorsUsePostfixWording) {
  std::unique_ptr<DbCommon> common;
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      // Observed with postmap 3.7.11.
      {"", "/etc/postfix/pg.cf: bad string length 0 < 1: table = "},
      {"table = t\n", "/etc/postfix/pg.cf: bad string length 0 < 1: select_field = "},
      {"table = t\nselect_field = v\n", "/etc/postfix/pg.cf: bad string length 0 < 1: where_field = "},
      {"query = SELECT v FROM t WHERE k='%x'\n",
       "db_common_parse: /etc/postfix/pg.cf: Invalid query template: SELECT v FROM t WHERE k='%x'"},
      {"query = SELECT 1\nresult_format = %x\n", "db_common_parse: /etc/postfix/pg.cf: Invalid result template: %x"},
      {"query = SELECT 1\nresult_format =\n", "/etc/postfix/pg.cf: bad string length 0 < 1: result_format = "},
      {"query = SELECT 1\nexpansion_limit = many\n",
       "/etc/postfix/pg.cf: bad numerical configuration: expansion_limit = many"},
  };
  for (const Case& c : cases) {
    Status s = Configure(c.text, &common);
    EXPECT_TRUE(s.IsConfigError()) << c.text;
    EXPECT_EQ(s.message(), c.message) << c.text;
  }
}

TEST(DbCommon, WhichKeysAreQueried) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT v FROM t WHERE u='%u' AND d='%d'\n", &common).ok());
  EXPECT_EQ(QueryFor(*common, "Joe@Example.COM"), "SELECT v FROM t WHERE u='joe' AND d='example.com'");
  EXPECT_EQ(QueryFor(*common, "joe"), "<not found>");
  EXPECT_EQ(QueryFor(*common, "joe@"), "<not found>");
  EXPECT_EQ(QueryFor(*common, "@example.com"), "<not found>");
  // A key is a C string in Postfix: the NUL ends it.
  EXPECT_EQ(QueryFor(*common, std::string("a@b.c\0junk", 10)), "SELECT v FROM t WHERE u='a' AND d='b.c'");
}

TEST(DbCommon, ResultTemplateKeyEscapesSuppressTheQuery) {
  // Postfix shares the key requirements of both templates: with %D in
  // result_format, a key without a domain is not queried at all.
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT v FROM t WHERE k='%s'\nresult_format = %s@%D\n", &common).ok());
  EXPECT_EQ(QueryFor(*common, "a@b.c"), "SELECT v FROM t WHERE k='a@b.c'");
  EXPECT_EQ(QueryFor(*common, "bare"), "<not found>");
}

TEST(DbCommon, EmptyKeyIsSkippedWithPostfixWarning) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT v FROM t WHERE k='%s'\n", &common).ok());
  CapturedWarnings warnings;
  EXPECT_EQ(QueryFor(*common, ""), "<not found>");
  EXPECT_EQ(warnings.joined(), "table \"pgsql:/etc/postfix/pg.cf\": empty query string -- ignored\n");
  // With a domain list the empty key is skipped before the warning, as in Postfix.
  ASSERT_TRUE(Configure("query = SELECT 1\ndomain = example.com\n", &common).ok());
  CapturedWarnings quiet;
  EXPECT_EQ(QueryFor(*common, ""), "<not found>");
  EXPECT_TRUE(quiet.lines().empty()) << quiet.joined();
}

TEST(DbCommon, DomainListLimitsTheKeys) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT '%s'\ndomain = example.com, !sub.example.org, example.org\n", &common).ok());
  EXPECT_EQ(QueryFor(*common, "u@EXAMPLE.com"), "SELECT 'u@example.com'");
  EXPECT_EQ(QueryFor(*common, "u@example.org"), "SELECT 'u@example.org'");
  EXPECT_EQ(QueryFor(*common, "u@sub.example.org"), "<not found>");
  EXPECT_EQ(QueryFor(*common, "u@other.net"), "<not found>");
  EXPECT_EQ(QueryFor(*common, "example.com"), "<not found>");   // no "@"
  EXPECT_EQ(QueryFor(*common, "@example.com"), "<not found>");  // empty local part
}

TEST(DbCommon, NoFoldingWhenTheTableDoesNotFold) {
  std::unique_ptr<DbCommon> common;
  OpenOptions options;
  options.fold_keys = false;
  ASSERT_TRUE(Configure("query = SELECT '%s'\n", &common, PgsqlNaming(), options).ok());
  EXPECT_EQ(QueryFor(*common, "MiXed"), "SELECT 'MiXed'");
}

TEST(DbCommon, SqliteSkipsNonUtf8Keys) {
  std::unique_ptr<DbCommon> common;
  DbCommon::Naming naming{"sqlite", "/etc/postfix/s.cf", "dict_sqlite_lookup"};
  naming.skip_non_utf8 = true;
  ASSERT_TRUE(Configure("dbpath = x\nquery = SELECT '%s'\n", &common, naming).ok());
  EXPECT_EQ(QueryFor(*common, "caf\xc3\xa9"), "SELECT 'caf\xc3\xa9'");
  EXPECT_EQ(QueryFor(*common, "raw\xe9"), "<not found>");
}

LookupResult Answer(const DbCommon& common, const std::string& key,
                    const std::vector<const char*>& values) {
  DbCommon::ResultBuilder builder;
  builder.Start(&common, key);
  for (const char* v : values) builder.Add(v, v ? std::strlen(v) : 0);
  return builder.Finish();
}

TEST(DbCommon, ValuesAreJoinedWithCommas) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT 1\n", &common).ok());
  LookupResult r = Answer(*common, "k", {"a", nullptr, "b", "c"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.value, "a,b,c");
  EXPECT_TRUE(Answer(*common, "k", {}).status.IsNotFound());
  EXPECT_TRUE(Answer(*common, "k", {nullptr}).status.IsNotFound());
}

TEST(DbCommon, EmptyValuesAreSkippedWithPostfixWarning) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT 1\n", &common).ok());
  CapturedWarnings warnings;
  LookupResult r = Answer(*common, "empty@example.com", {"", "x"});
  EXPECT_EQ(r.value, "x");
  EXPECT_EQ(warnings.joined(),
            "table \"pgsql:/etc/postfix/pg.cf\": empty lookup result for: \"empty@example.com\" -- ignored\n");
}

TEST(DbCommon, ResultFormatAppliesToEachValue) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT 1\nresult_format = smtp:[%d]\n", &common).ok());
  LookupResult r = Answer(*common, "k", {"mx@relay1.example", "unqualified", "mx@relay2.example"});
  EXPECT_EQ(r.value, "smtp:[relay1.example],smtp:[relay2.example]");
  EXPECT_TRUE(Answer(*common, "k", {"unqualified"}).status.IsNotFound());
}

TEST(DbCommon, DomainLabelsDropEmptyOnesAsPostfixDoes) {
  // Observed with postmap 3.7.11 (sqlite, query "SELECT '[%1][%2][%3]'"):
  // the empty labels of mail..example.com are dropped, and a key with fewer
  // labels than the highest %N in either template is not queried.
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT '[%2][%1]'\nresult_format = %s@%3\n", &common).ok());
  EXPECT_EQ(QueryFor(*common, "u@mail..example.com"), "SELECT '[example][com]'");
  EXPECT_EQ(QueryFor(*common, "u@mail.example.com.."), "SELECT '[example][com]'");
  EXPECT_EQ(QueryFor(*common, "u@.example.com"), "<not found>");  // %3 in result_format
  LookupResult r = Answer(*common, "u@mail..example.com", {"v"});
  EXPECT_EQ(r.value, "v@mail");
}

TEST(DbCommon, ExpansionLimit) {
  std::unique_ptr<DbCommon> common;
  ASSERT_TRUE(Configure("query = SELECT 1\nexpansion_limit = 2\n", &common).ok());
  EXPECT_EQ(Answer(*common, "k", {"a", "b"}).value, "a,b");
  CapturedWarnings warnings;
  LookupResult r = Answer(*common, "multi@example.com", {"a", "b", "c"});
  EXPECT_TRUE(r.status.IsTempError());
  EXPECT_NE(r.status.message().find("pgsql:/etc/postfix/pg.cf"), std::string::npos) << r.status.message();
  // Observed with postmap 3.7.11 (pgsql; sqlite has no colon after "key").
  EXPECT_EQ(warnings.joined(), "dict_pgsql_lookup: /etc/postfix/pg.cf: Expansion limit exceeded for key: "
                               "'multi@example.com'\n");
  DbCommon::Naming sqlite{"sqlite", "/s.cf", "dict_sqlite_lookup"};
  sqlite.colon_before_key = false;
  ASSERT_TRUE(Configure("query = SELECT 1\nexpansion_limit = 1\n", &common, sqlite).ok());
  CapturedWarnings sqlite_warnings;
  EXPECT_TRUE(Answer(*common, "k", {"a", "b"}).status.IsTempError());
  EXPECT_EQ(sqlite_warnings.joined(), "dict_sqlite_lookup: /s.cf: Expansion limit exceeded for key 'k'\n");
  // Values skipped by result_format or empty do not count.
  ASSERT_TRUE(Configure("query = SELECT 1\nexpansion_limit = 1\nresult_format = %d\n", &common).ok());
  EXPECT_EQ(Answer(*common, "k", {"plain", "x@d1"}).value, "d1");
}

}  // namespace
}  // namespace mctable
