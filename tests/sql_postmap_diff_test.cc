// Differential tests of the SQL table types against Debian's postmap
// (postfix-sqlite, postfix-pgsql, postfix-mysql 3.7.11): the same table
// configurations and keys through both programs, each against the same
// real database, by themselves and as the backup of a memcache table.
// Compared: stdout, exit status, and stderr (severities always; the text
// of warnings, with Postfix's "?" for line breaks read as spaces), and,
// through memcache, the entries the cache fills wrote to memcached (and
// the warm answers from them).
//
// Each (type, case) is one test: `-q -` over every key, then `-q KEY` for
// each key, then the memcache runs.  Without postmap, a map type of
// Postfix, or the database, the test says so and skips.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testutil/postmap_compare.h"
#include "testutil/sql_database.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::ExpectSameResults;
using testutil::Messages;
using testutil::SqlTestDatabase;
using testutil::TempDir;

struct DiffCase {
  const char* name;
  const char* params;
};

const DiffCase kCases[] = {
    {"plain", "query = SELECT v FROM aliases WHERE k='%s'\n"},
    {"local_part", "query = SELECT v FROM users WHERE u='%u'\n"},
    {"domain_part", "query = SELECT v FROM domains WHERE d='%d'\n"},
    {"labels", "query = SELECT v FROM domains WHERE d='%2.%1'\n"},
    {"top_label", "query = SELECT v FROM domains WHERE d='%1'\n"},
    {"upper_escapes", "query = SELECT v FROM aliases WHERE k='%U@%D'\n"},
    {"result_format", "query = SELECT v FROM aliases WHERE k='%s'\nresult_format = <%s|%u|%d|%S|%U|%D|%%>\n"},
    {"result_format_labels", "query = SELECT v FROM aliases WHERE k='%s'\nresult_format = %s/%1/%2\n"},
    {"result_domain", "query = SELECT v FROM relays WHERE k='%s'\nresult_format = smtp:[%d]\n"},
    {"result_local", "query = SELECT v FROM relays WHERE k='%s'\nresult_format = %u+ext\n"},
    {"domain_list", "query = SELECT v FROM aliases WHERE k='%s'\ndomain = example.com, sub.example.org\n"},
    {"domain_list_negated",
     "query = SELECT v FROM aliases WHERE k='%s'\ndomain = !sub.example.org, example.org example.com\n"},
    {"expansion_limit", "query = SELECT v FROM aliases WHERE k='%s'\nexpansion_limit = 2\n"},
    {"failing_query", "query = SELECT v FROM no_such_table WHERE k='%s'\n"},
    {"legacy", "table = aliases\nselect_field = v\nwhere_field = k\nadditional_conditions = AND v <> 'm2'\n"},
    {"multi_column", "query = SELECT a, b FROM pairs WHERE k='%s'\n"},
    {"literal_percent", "query = SELECT v FROM aliases WHERE k='%s' AND v LIKE '%%'\n"},
};

const std::vector<std::string> kKeys = {
    "alice@example.com", "ALICE@Example.COM", "O'Brien@example.com", "multi@example.com",
    "empty@example.com", "null@example.com", "bob", "nobody@example.com", "@example.com", "alice@",
    "carol@sub.example.org", "x@y@example.com", "a@b", "semi;colon@example.com", "back\\slash@example.com",
    "x' OR '1'='1", "caf\xc3\xa9@example.com", "raw\xe9@example.com", "user@other.net", "example.com",
    // %1..%9 drop empty labels, as Postfix's db_common does.
    "u@mail..example.com", "u@.example.com..", "u@..com", ""};

// Postfix map type package for each type.
std::string PostfixMapFile(const std::string& type) { return "/usr/lib/postfix/postfix-" + type + ".so"; }

class SqlPostmapDiffTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {
 protected:
  void SetUp() override {
    type_ = std::get<0>(GetParam());
    case_ = kCases[std::get<1>(GetParam())];
    if (!postmap_.available()) GTEST_SKIP() << "Debian postmap is not installed";
    if (::access(PostfixMapFile(type_).c_str(), F_OK) != 0)
      GTEST_SKIP() << "postfix-" << type_ << " is not installed (" << PostfixMapFile(type_) << ")";
    std::string why;
    bool unavailable = false;
    db_ = SqlTestDatabase::Open(type_, &why, &unavailable);
    if (db_ == nullptr && unavailable) GTEST_SKIP() << why;
    ASSERT_TRUE(db_ != nullptr) << "loading the test data: " << why;
    config_.WriteFile("main.cf", "");
    table_ = db_->WriteTable(dir_, "table.cf", case_.params);
  }

  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv, input);
  }

  // Runs the same command through both and compares what they print.
  void ExpectSame(const std::vector<std::string>& args, const std::string& input, const std::string& what) {
    ExpectSameResults(Mctable(args, input), postmap_.Run(args, input), what);
  }

  std::string type_;
  DiffCase case_{};
  testutil::Postmap postmap_;
  std::unique_ptr<SqlTestDatabase> db_;
  TempDir config_, dir_;
  std::string table_;
};

std::string StdinOf(const std::vector<std::string>& keys) {
  std::string input;
  for (const std::string& key : keys) input += key + "\n";
  return input;
}

// The keys also looked up one per run (`-q KEY`): exit status and
// messages per key, and the keys after an error.
const std::vector<std::string> kSingleKeys = {"ALICE@Example.COM", "O'Brien@example.com", "multi@example.com",
                                              "empty@example.com", "null@example.com", "bob", "@example.com",
                                              "x@y@example.com", "nobody@example.com", ""};

TEST_P(SqlPostmapDiffTest, ByThemselves) {
  ExpectSame({"-q", "-", table_}, StdinOf(kKeys), std::string(case_.name) + ": -q -");
  // The one-key runs at the same time: postmap sleeps a second before
  // exiting on a fatal error, and these mostly wait.
  std::vector<testutil::CommandSpec> runs;
  for (const std::string& key : kSingleKeys) {
    runs.push_back({{testutil::MctableBinary(), "-c", config_.path(), "-q", key, table_}, ""});
    runs.push_back({postmap_.Argv({"-q", key, table_}), ""});
  }
  std::vector<CommandResult> results = testutil::RunCommands(runs);
  for (size_t i = 0; i < kSingleKeys.size(); ++i)
    ExpectSameResults(results[2 * i], results[2 * i + 1],
                      std::string(case_.name) + ": -q " + PrintableBytes(kSingleKeys[i]));
}

// The memcache runs, for the cases where the cache fills can differ (the
// others differ only in what the database answers: ByThemselves).
class SqlBackupDiffTest : public SqlPostmapDiffTest {};

TEST_P(SqlBackupDiffTest, AsMemcacheBackup) {
  testutil::MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  std::string mc = "memcache:" + dir_.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                             "\nkey_format = k:%s\nttl = 900\nflags = 7\nbackup = " +
                                                             table_ + "\n");
  testutil::ExpectSameBackupRuns(
      memcached, postmap_, [&](std::vector<std::string> args, const std::string& input) { return Mctable(args, input); },
      mc, table_, kKeys, case_.name);
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<std::string, int>>& param_info) {
  return std::get<0>(param_info.param) + "_" + kCases[std::get<1>(param_info.param)].name;
}

INSTANTIATE_TEST_SUITE_P(Cases, SqlPostmapDiffTest,
                         ::testing::Combine(::testing::Values("sqlite", "pgsql", "mysql"),
                                            ::testing::Range(0, static_cast<int>(std::size(kCases)))),
                         CaseName);

std::vector<int> BackupCases() {
  std::vector<int> indices;
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i)
    for (const char* name : {"plain", "local_part", "domain_part", "labels", "result_format", "domain_list",
                             "expansion_limit", "failing_query", "multi_column"})
      if (std::string(kCases[i].name) == name) indices.push_back(i);
  return indices;
}

INSTANTIATE_TEST_SUITE_P(Cases, SqlBackupDiffTest,
                         ::testing::Combine(::testing::Values("sqlite", "pgsql", "mysql"),
                                            ::testing::ValuesIn(BackupCases())),
                         CaseName);

}  // namespace
}  // namespace mctable

namespace mctable {
namespace {

// Writing modes: postmap refuses them for these types (bulk-mode creation,
// O_RDONLY), and so does mctable: exit status 1 and a fatal error.
class SqlWriteModesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SqlWriteModesTest, RefusedLikePostfix) {
  const std::string type = GetParam();
  if (!testutil::HaveTableType(type)) GTEST_SKIP() << type << " is not built in";
  testutil::Postmap postmap;
  if (!postmap.available() || ::access(PostfixMapFile(type).c_str(), F_OK) != 0)
    GTEST_SKIP() << "postmap or postfix-" << type << " is not installed";
  TempDir config, dir;
  config.WriteFile("main.cf", "");
  // The database is never reached: a configuration that parses is enough.
  std::string table = type + ":" + dir.WriteFile("w.cf", (type == "sqlite" ? "dbpath = " + dir.path() + "/none.db\n"
                                                                           : testutil::SqlConnectionTo("inet:127.0.0.1:1")) +
                                                             "query = SELECT v FROM t WHERE k='%s'\n");
  struct Mode {
    std::vector<std::string> args;
    std::string input;
  } modes[] = {{{"-i", table}, "k v\n"}, {{"-d", "k", table}, ""}, {{"-d", "-", table}, "k\n"}, {{table}, ""}};
  // All at once: postmap sleeps a second before exiting on a fatal error.
  std::vector<testutil::CommandSpec> runs;
  for (const Mode& mode : modes) {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config.path()};
    argv.insert(argv.end(), mode.args.begin(), mode.args.end());
    runs.push_back({argv, mode.input});
    runs.push_back({postmap.Argv(mode.args), mode.input});
  }
  std::vector<CommandResult> results = testutil::RunCommands(runs);
  for (size_t i = 0; i < std::size(modes); ++i) {
    const CommandResult& ours = results[2 * i];
    const CommandResult& theirs = results[2 * i + 1];
    EXPECT_EQ(ours.exit_status, 1) << ours.err;
    EXPECT_EQ(ours.exit_status, theirs.exit_status) << theirs.err;
    EXPECT_EQ(Messages(ours.err), Messages(theirs.err)) << "postmap: " << theirs.err << "mctable: " << ours.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/none.db")) << "nothing is created";
}

INSTANTIATE_TEST_SUITE_P(Types, SqlWriteModesTest, ::testing::Values("sqlite", "pgsql", "mysql"),
                         [](const auto& param_info) { return param_info.param; });

// The differences docs/postfix-differences.md lists for these types, with
// Postfix still behaving as described there.
TEST(SqlPostfixDiffersWithMariadb, SqliteDatabaseFileMustExist) {
  if (!testutil::HaveTableType("sqlite")) GTEST_SKIP() << "sqlite is not built in";
  testutil::Postmap postmap;
  TempDir config, dir;
  config.WriteFile("main.cf", "");
  std::string db = dir.path() + "/missing.db";
  std::string table = "sqlite:" + dir.WriteFile("s.cf", "dbpath = " + db + "\nquery = SELECT v FROM t WHERE k='%s'\n");
  CommandResult ours = testutil::RunCommand({testutil::MctableBinary(), "-c", config.path(), "-q", "k", table});
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_EQ(ours.err, "mctable: fatal: " + table + ": Can't open database: unable to open database file (" + db + ")\n");
  EXPECT_FALSE(std::filesystem::exists(db));
  if (!postmap.available() || ::access(PostfixMapFile("sqlite").c_str(), F_OK) != 0) return;
  CommandResult theirs = postmap.Run({"-q", "k", table});
  EXPECT_EQ(theirs.exit_status, 1);
  EXPECT_NE(theirs.err.find("SQL prepare failed: no such table"), std::string::npos) << theirs.err;
  EXPECT_TRUE(std::filesystem::exists(db)) << "Postfix creates an empty database";
}

TEST(SqlPostfixDiffersWithMariadb, MysqlOptionFileMustBeReadable) {
  std::string why;
  bool unavailable = false;
  auto db = SqlTestDatabase::Open("mysql", &why, &unavailable);
  if (db == nullptr && unavailable) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  testutil::Postmap postmap;
  TempDir config, dir;
  config.WriteFile("main.cf", "");
  std::string table = db->WriteTable(dir, "o.cf", "query = SELECT v FROM aliases WHERE k='%s'\n"
                                                  "option_file = " + dir.path() + "/no-such.cnf\n");
  CommandResult ours = testutil::RunCommand({testutil::MctableBinary(), "-c", config.path(), "-q", "bob", table});
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_EQ(ours.err, "mctable: fatal: " + table + ": cannot read option_file " + dir.path() +
                          "/no-such.cnf: No such file or directory\n");
  if (!postmap.available() || ::access(PostfixMapFile("mysql").c_str(), F_OK) != 0) return;
  CommandResult theirs = postmap.Run({"-q", "bob", table});
  EXPECT_EQ(theirs.exit_status, 0) << "Postfix ignores the missing file: " << theirs.err;
  EXPECT_EQ(theirs.out, "bob-v\n");
}

}  // namespace
}  // namespace mctable
