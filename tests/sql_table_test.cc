// The SQL table types (sqlite:, pgsql:, mysql:) through the library, each
// against a real database the test starts: answers, SQL quoting of keys,
// batches equal to single lookups, expansion_limit, failing queries,
// configuration errors, read-only access, and use as the backup of a
// memcache table and as a domain list.  postmap parity is checked in
// sql_postmap_diff_test.cc, server failures in sql_fault_test.cc.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "testutil/sql_database.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::SqlTestDatabase;
using testutil::TempDir;

constexpr char kPlainQuery[] = "query = SELECT v FROM aliases WHERE k='%s'\n";

class SqlTableTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    bool unavailable = false;
    db_ = SqlTestDatabase::Open(GetParam(), &why, &unavailable);
    if (db_ == nullptr && unavailable) GTEST_SKIP() << why;
    ASSERT_TRUE(db_ != nullptr) << "loading the test data: " << why;
  }

  std::unique_ptr<Table> Open(const std::string& params, const OpenOptions& options = {}) {
    std::unique_ptr<Table> table;
    Status s = OpenTable(db_->WriteTable(dir_, "table.cf", params), options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  std::string Get(Table* table, const std::string& key) { return testutil::LookupOrStatus(table, key); }

  std::unique_ptr<SqlTestDatabase> db_;
  TempDir dir_;
};

TEST_P(SqlTableTest, Answers) {
  auto table = Open(kPlainQuery);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->type(), GetParam());
  EXPECT_EQ(Get(table.get(), "alice@example.com"), "alice-v");
  EXPECT_EQ(Get(table.get(), "ALICE@Example.COM"), "alice-v") << "keys are folded";
  EXPECT_EQ(Get(table.get(), "bob"), "bob-v");
  EXPECT_EQ(Get(table.get(), "multi@example.com"), "m1,m2,m3") << "rows joined with commas";
  EXPECT_EQ(Get(table.get(), "nobody@example.com"), "<not found>");
  EXPECT_EQ(Get(table.get(), "caf\xc3\xa9@example.com"),
            GetParam() == "pgsql" ? "<not found>" : "utf8-caf\xc3\xa9")
      << "pgsql keys are LATIN1, as Postfix 3.7 sets the client encoding";
}

TEST_P(SqlTableTest, KeysAreSqlQuoted) {
  auto table = Open(kPlainQuery);
  ASSERT_TRUE(table);
  EXPECT_EQ(Get(table.get(), "O'Brien@example.com"), "obrien-v");
  EXPECT_EQ(Get(table.get(), "back\\slash@example.com"), "backslash-v");
  EXPECT_EQ(Get(table.get(), "semi;colon@example.com"), "semi-v");
  EXPECT_EQ(Get(table.get(), "pct%@example.com"), "pct-v");
  // Attempts to leave the literal find nothing and change nothing.
  EXPECT_EQ(Get(table.get(), "x' OR '1'='1"), "<not found>");
  EXPECT_EQ(Get(table.get(), "x\\' OR 1=1 -- "), "<not found>");
  EXPECT_EQ(Get(table.get(), "a'; DROP TABLE aliases; --"), "<not found>");
  EXPECT_EQ(Get(table.get(), "alice@example.com"), "alice-v") << "the table is still there";
}

TEST_P(SqlTableTest, EmptyAndNullValues) {
  auto table = Open(kPlainQuery);
  ASSERT_TRUE(table);
  CapturedWarnings warnings;
  EXPECT_EQ(Get(table.get(), "empty@example.com"), "<not found>");
  const std::string empty_warning = "table \"" + table->full_name() +
                                    "\": empty lookup result for: \"empty@example.com\" -- ignored\n";
  EXPECT_EQ(warnings.joined(), empty_warning);
  EXPECT_EQ(Get(table.get(), "null@example.com"), "<not found>");
  // libpq gives a NULL as "", and Postfix warns about it; the others skip it quietly.
  if (GetParam() == "pgsql")
    EXPECT_EQ(warnings.joined(), empty_warning + "table \"" + table->full_name() +
                                     "\": empty lookup result for: \"null@example.com\" -- ignored\n");
  else
    EXPECT_EQ(warnings.joined(), empty_warning);
}

TEST_P(SqlTableTest, BatchGivesWhatSingleLookupsGive) {
  auto table = Open(kPlainQuery + std::string("expansion_limit = 2\n"));
  ASSERT_TRUE(table);
  std::vector<std::string> keys = {"alice@example.com", "", "multi@example.com", "O'Brien@Example.com",
                                   "nobody", "bob", "empty@example.com", "x' OR '1'='1", "alice@example.com"};
  CapturedWarnings warnings;  // compared in sql_postmap_diff_test.cc
  std::vector<std::string> single;
  for (const std::string& key : keys) single.push_back(Get(table.get(), key));
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string batch = results[i].status.ok() ? results[i].value : "<" + results[i].status.ToString() + ">";
    EXPECT_EQ(batch, single[i]) << keys[i];
  }
  EXPECT_TRUE(results[2].status.IsTempError()) << "expansion limit exceeded";
  EXPECT_NE(results[2].status.message().find(table->full_name()), std::string::npos);
  EXPECT_EQ(results[5].value, "bob-v") << "an error does not stop the keys after it";
}

TEST_P(SqlTableTest, ExpansionLimitWarnsAndFails) {
  auto table = Open(kPlainQuery + std::string("expansion_limit = 3\n"));
  ASSERT_TRUE(table);
  EXPECT_EQ(Get(table.get(), "multi@example.com"), "m1,m2,m3");
  table = Open(kPlainQuery + std::string("expansion_limit = 1\n"));
  CapturedWarnings warnings;
  std::string value;
  Status s = table->Lookup("multi@example.com", &value);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  ASSERT_EQ(warnings.lines().size(), 1u) << warnings.joined();
  EXPECT_NE(warnings.lines()[0].find("Expansion limit exceeded for key"), std::string::npos);
}

TEST_P(SqlTableTest, LargeBatch) {
  std::string big;
  std::string why;
  ASSERT_TRUE(db_->EnsureBigTable(20000, &big, &why)) << why;
  auto table = Open("query = SELECT v FROM " + big + " WHERE k='%s'\n");
  ASSERT_TRUE(table);
  std::vector<std::string> keys;
  for (int i = 0; i < 25000; ++i) keys.push_back("user" + std::to_string(i) + "@example" + std::to_string(i % 97) + ".com");
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), keys.size());
  for (int i = 0; i < 25000; ++i) {
    if (i < 20000) {
      ASSERT_TRUE(results[i].status.ok()) << keys[i] << ": " << results[i].status.ToString();
      ASSERT_EQ(results[i].value, "value-" + std::to_string(i));
    } else {
      ASSERT_TRUE(results[i].status.IsNotFound()) << keys[i] << ": " << results[i].status.ToString();
    }
  }
}

TEST_P(SqlTableTest, FailingQueryIsAnErrorNamingTheTable) {
  auto table = Open("query = SELECT v FROM no_such_table WHERE k='%s'\n");
  ASSERT_TRUE(table);
  CapturedWarnings warnings;
  std::string value = "untouched";
  Status s = table->Lookup("alice@example.com", &value);
  EXPECT_TRUE(s.IsError()) << s.ToString();
  EXPECT_EQ(value, "untouched");
  EXPECT_NE(s.message().find(table->full_name()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("no_such_table"), std::string::npos) << s.message();
  // A key the query template suppresses is still just "not found".
  auto by_domain = Open("query = SELECT v FROM no_such_table WHERE d='%d'\n");
  EXPECT_EQ(Get(by_domain.get(), "bare"), "<not found>");
}

TEST_P(SqlTableTest, ReadOnlyAsPostfix) {
  for (int mode = 0; mode < 3; ++mode) {
    OpenOptions options;
    options.read_write = mode == 0;
    options.create = mode == 1;
    options.truncate = mode == 2;
    std::unique_ptr<Table> table;
    std::string name = db_->WriteTable(dir_, "rw.cf", kPlainQuery);
    Status s = OpenTable(name, options, &table);
    EXPECT_TRUE(s.IsRefused()) << s.ToString();
    // Observed: "postmap: fatal: pgsql:/tmp/t.cf map requires O_RDONLY access mode".
    EXPECT_EQ(s.message(), name + " map requires O_RDONLY access mode");
  }
  auto table = Open(kPlainQuery);
  EXPECT_TRUE(table->Update("k", "v").IsNotSupported());
  EXPECT_TRUE(table->Delete("k").IsNotSupported());
  std::string k, v;
  EXPECT_TRUE(table->Sequence(SequenceOp::kFirst, &k, &v).IsNotSupported());
}

TEST_P(SqlTableTest, ConfigurationErrors) {
  std::unique_ptr<Table> table;
  std::string path = dir_.WriteFile("bad.cf", GetParam() == "sqlite" ? kPlainQuery : "user = pf\n" + std::string(kPlainQuery));
  Status s = OpenTable(GetParam() + ":" + path, {}, &table);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), path + ": bad string length 0 < 1: " + (GetParam() == "sqlite" ? "dbpath" : "dbname") + " = ");
  s = OpenTable(GetParam() + ":" + dir_.path() + "/missing.cf", {}, &table);
  EXPECT_EQ(s.message(), "open " + dir_.path() + "/missing.cf: No such file or directory");
  path = dir_.WriteFile("template.cf", db_->connection() + "query = SELECT '%q'\n");
  s = OpenTable(GetParam() + ":" + path, {}, &table);
  EXPECT_EQ(s.message(), "db_common_parse: " + path + ": Invalid query template: SELECT '%q'");
  s = OpenTable(GetParam() + ":" + dir_.WriteFile("timeout.cf", db_->connection() + kPlainQuery + "query_timeout = 0\n"),
                {}, &table);
  EXPECT_TRUE(s.IsConfigError()) << "a lookup must be bounded in time";
}

TEST_P(SqlTableTest, BackupOfAMemcacheTable) {
  testutil::MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  std::string backup = db_->WriteTable(dir_, "backup.cf", kPlainQuery);
  std::string cf = dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                               "\nkey_format = sql:%s\nttl = 600\nflags = 5\nbackup = " + backup + "\n");
  auto table = testutil::OpenOrDie("memcache:" + cf);
  ASSERT_TRUE(table);
  std::vector<std::string> keys = {"O'Brien@Example.com", "nobody@example.com", "multi@example.com", "bob"};
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  EXPECT_EQ(results[0].value, "obrien-v");
  EXPECT_TRUE(results[1].status.IsNotFound());
  EXPECT_EQ(results[2].value, "m1,m2,m3");
  EXPECT_EQ(results[3].value, "bob-v");
  bool found = false;
  unsigned flags = 0;
  EXPECT_EQ(memcached.Get("sql:o'brien@example.com", &found, &flags), "obrien-v");
  EXPECT_TRUE(found);
  EXPECT_EQ(flags, 5u);
  EXPECT_EQ(memcached.Get("sql:multi@example.com", &found), "m1,m2,m3");
  memcached.Get("sql:nobody@example.com", &found);
  EXPECT_FALSE(found) << "a miss is not cached";
  // Warm: memcached answers, even a value the database no longer has.
  memcached.Set("sql:bob", "from-cache");
  EXPECT_EQ(Get(table.get(), "bob"), "from-cache");
}

TEST_P(SqlTableTest, DomainListTable) {
  // A SQL table as the "domain" list of another table: only keys whose
  // domain the database lists are queried.
  std::string domains = db_->WriteTable(dir_, "domains.cf", "query = SELECT v FROM domains WHERE d='%s'\n");
  auto table = Open(kPlainQuery + ("domain = " + domains + "\n"));
  ASSERT_TRUE(table);
  EXPECT_EQ(Get(table.get(), "alice@example.com"), "alice-v");
  EXPECT_EQ(Get(table.get(), "carol@sub.example.org"), "carol-v");
  EXPECT_EQ(Get(table.get(), "user@other.net"), "<not found>") << "other.net is not listed";
  EXPECT_EQ(Get(table.get(), "bob"), "<not found>") << "no domain: not queried";
}

TEST_P(SqlTableTest, MainCfParameters) {
  // "TYPE:name" without a leading "/" or ".": name_parameter in main.cf.
  TempDir config_dir;
  std::string main_cf;
  for (const std::string& line : testutil::SplitLines(db_->connection() + kPlainQuery + "result_format = [%s]\n"))
    main_cf += "sqltable_" + line + "\n";
  config_dir.WriteFile("main.cf", main_cf);
  OpenOptions options;
  options.config_dir = config_dir.path();
  auto table = testutil::OpenOrDie(GetParam() + ":sqltable", options);
  ASSERT_TRUE(table);
  EXPECT_EQ(Get(table.get(), "bob"), "[bob-v]");
  config_dir.WriteFile("main.cf", "sqltable_query = SELECT 1\n");
  std::unique_ptr<Table> broken;
  Status s = OpenTable(GetParam() + ":sqltable", options, &broken);
  EXPECT_EQ(s.message(), std::string("bad string length 0 < 1: sqltable_") +
                             (GetParam() == "sqlite" ? "dbpath" : "dbname") + " = ");
}

INSTANTIATE_TEST_SUITE_P(Types, SqlTableTest, ::testing::Values("sqlite", "pgsql", "mysql"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mctable
