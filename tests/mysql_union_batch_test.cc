// mysql: batches sent as UNION ALL statements (mysql_connection.h): for
// each template, `mctable -q -` over a batch of keys gives byte for byte
// what Debian's postmap gives (one query per key) and what mctable gives
// with the same template one statement per key ("SELECT ALL", which
// IsUnionBatchSafe refuses and which means the same as "SELECT"); and the
// server's statement counter shows which way the batch went.  Cases:
// several rows per key, several columns, NULLs, typed columns, missing
// keys, keys with quotes, backslashes and UTF-8, ORDER BY with and without
// LIMIT, templates that must not be joined, and a key whose query fails in
// the middle of a batch.  Against a real MariaDB the test process starts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "testutil/mariadb_server.h"
#include "testutil/postmap_compare.h"
#include "testutil/sql_database.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::SqlTestDatabase;
using testutil::TempDir;

// Rows per key: none, one, several (in an order the primary key does not
// give), NULLs, empty strings, and keys that need quoting.
const char kUnionData[] = R"SQL(
DROP TABLE IF EXISTS ub;
CREATE TABLE ub (id INT PRIMARY KEY, k VARCHAR(255), n INT, v VARCHAR(255), w VARCHAR(255),
                 f FLOAT, d DECIMAL(10,3), t DATETIME(3), KEY (k));
INSERT INTO ub VALUES
  (1, 'one@example.com', 1, 'one-v', 'one-w', 1.5, 1.250, '2026-01-02 03:04:05.678'),
  (2, 'multi@example.com', 3, 'm-c', 'w3', 0.1, -2.000, '2026-01-01 00:00:00'),
  (3, 'multi@example.com', 1, 'm-a', NULL, NULL, NULL, NULL),
  (4, 'multi@example.com', 2, 'm-b', '', 3.25e10, 99.999, '1999-12-31 23:59:59.999'),
  (5, 'nulls@example.com', NULL, NULL, NULL, NULL, NULL, NULL),
  (6, 'empty@example.com', 0, '', '', 0, 0, '2000-01-01'),
  (7, 'o''brien@example.com', 7, 'obrien-v', 'q''uote', 7, 7, NULL),
  (8, 'back\\slash@example.com', 8, 'back\\slash-v', 'b', 8, 8, NULL),
  (9, 'caf)SQL" "\xc3\xa9" R"SQL(@example.com', 9, 'caf)SQL" "\xc3\xa9" R"SQL(-v', ')SQL" "\xe2\x82\xac" R"SQL(', 9, 9, NULL),
  (10, 'dup@example.com', 5, 'same', 'same', 1, 1, NULL),
  (11, 'dup@example.com', 5, 'same', 'same', 1, 1, NULL),
  (12, 'sub@example.com', 1, 'sub-v', 'x', 1, 1, NULL);
DROP TABLE IF EXISTS ub_pick;
CREATE TABLE ub_pick (x VARCHAR(255), k VARCHAR(255));
INSERT INTO ub_pick VALUES ('one@example.com', 'one@example.com'), ('multi@example.com', 'multi@example.com'),
  ('twice@example.com', 'one@example.com'), ('twice@example.com', 'multi@example.com');
)SQL";

// A batch of more than two statements' worth of keys (32 keys each), with
// every kind of key several times and in different places.
std::vector<std::string> BatchKeys(int rounds = 5) {
  const std::vector<std::string> kinds = {
      "one@example.com", "MULTI@Example.COM", "nulls@example.com", "empty@example.com",
      "O'Brien@example.com", "back\\slash@example.com", "caf\xc3\xa9@example.com", "dup@example.com",
      "nobody@example.com", "x' OR '1'='1", "a'); SELECT 1; --", "pct%@example.com", "raw\xe9@example.com",
      "sub@example.com", "twice@example.com", "multi@example.com", "@example.com", "bare"};
  std::vector<std::string> keys;
  for (int round = 0; round < rounds; ++round)
    for (size_t i = 0; i < kinds.size(); ++i) keys.push_back(kinds[(i * 7 + round) % kinds.size()]);
  return keys;
}

std::string StdinOf(const std::vector<std::string>& keys) {
  std::string input;
  for (const std::string& key : keys) input += key + "\n";
  return input;
}

class MysqlUnionBatchWithMariadb : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    bool unavailable = false;
    db_ = SqlTestDatabase::Open("mysql", &why, &unavailable);
    if (db_ == nullptr && unavailable) GTEST_SKIP() << why;
    ASSERT_TRUE(db_ != nullptr) << "loading the test data: " << why;
    server_ = testutil::SharedMariadb(&why);
    ASSERT_TRUE(server_ != nullptr) << why;
    ASSERT_TRUE(db_->Exec(kUnionData, &why)) << why;
    config_.WriteFile("main.cf", "");
  }

  // A server counter: "Com_select" counts statements (SELECTs and UNIONs
  // alike, prepared or not), "Com_stmt_execute" prepared ones, and
  // "Connections" connections (this query's own included).
  long Counter(const std::string& name) {
    CommandResult r = testutil::RunCommand({"/usr/bin/mariadb", "--no-defaults", "-S", server_->socket_path(), "-uroot",
                                            "-N", "-B", "-e", "SHOW GLOBAL STATUS LIKE '" + name + "'"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    size_t tab = r.out.find('\t');
    return tab == std::string::npos ? -1 : std::stol(r.out.substr(tab + 1));
  }
  long Selects() { return Counter("Com_select"); }

  CommandResult Mctable(const std::string& table, const std::string& input, long* statements) {
    long before = Selects();
    CommandResult r =
        testutil::RunCommand({testutil::MctableBinary(), "-c", config_.path(), "-q", "-", table}, input);
    *statements = Selects() - before;  // (SHOW is not counted)
    return r;
  }

  // The template as the batch path and as one statement per key through
  // the same table file (the same table name in every message), and
  // through postmap; returns the statements of the batch path.
  // A template IsUnionBatchSafe refuses anyway (`refused`) is its own one
  // by one form ("SELECT ALL DISTINCT" would not parse).
  long ExpectSameAsOneByOne(const std::string& query, const std::string& extra = "", bool refused = false,
                            int rounds = 5) {
    const std::vector<std::string> keys = BatchKeys(rounds);
    const std::string input = StdinOf(keys);
    std::string one_by_one = query;
    EXPECT_EQ(one_by_one.compare(0, 7, "SELECT "), 0) << query;
    if (!refused) one_by_one.replace(0, 7, "SELECT ALL ");
    std::string table = db_->WriteTable(dir_, "u.cf", "query = " + one_by_one + "\n" + extra);
    long old_statements = 0;
    CommandResult old_path = Mctable(table, input, &old_statements);
    db_->WriteTable(dir_, "u.cf", "query = " + query + "\n" + extra);
    long statements = 0;
    CommandResult batch = Mctable(table, input, &statements);
    EXPECT_EQ(batch.out, old_path.out) << query;
    EXPECT_EQ(batch.err, old_path.err) << query;
    EXPECT_EQ(batch.exit_status, old_path.exit_status) << query;
    // One statement per key (the keys that are queried, up to a failing one).
    if (extra.empty() && old_path.exit_status == 0)
      EXPECT_GE(old_statements, static_cast<long>(keys.size()) - 1) << query << ": one statement per key";
    else
      EXPECT_GT(old_statements, 0) << query;
    if (postmap_.available() && ::access("/usr/lib/postfix/postfix-mysql.so", F_OK) == 0)
      testutil::ExpectSameResults(batch, postmap_.Run({"-q", "-", table}, input), query);
    else
      ADD_FAILURE() << "postmap with postfix-mysql is needed to compare (Debian postfix-mysql)";
    return statements;
  }

  std::unique_ptr<SqlTestDatabase> db_;
  testutil::MariadbServer* server_ = nullptr;
  testutil::Postmap postmap_;
  TempDir config_, dir_;
};

// 90 keys in parts of 32 keys, shared by up to two connections, each of
// which runs its first key alone: 3 UNION ALL statements and 1 or 2 single
// ones (and a prepare, which the server counts too, when a connection gets
// a second full part).
bool IsUnionCount(long statements) { return statements >= 4 && statements <= 6; }

TEST_F(MysqlUnionBatchWithMariadb, RowsAndColumnsAsOneByOne) {
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s'"));
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v, w FROM ub WHERE k='%s'"));
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT n, f, d, t, v FROM ub WHERE k = '%s'"));
  EXPECT_PRED1(IsUnionCount,
               ExpectSameAsOneByOne("SELECT CONCAT(v, '%%'), NULL, w FROM ub WHERE k='%s' AND n <> 'x'"));
}

TEST_F(MysqlUnionBatchWithMariadb, EscapesAndResultFormat) {
  long statements = ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%u@%d'", "result_format = <%s|%u|%d|%1>\n");
  EXPECT_GE(statements, 1);
  EXPECT_LE(statements, 5) << "keys without a domain are not queried";
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s'", "expansion_limit = 2\n"));
  // The "domain" list skips keys before they are queried.
  EXPECT_LE(ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s'", "domain = example.com\n"), 5);
}

TEST_F(MysqlUnionBatchWithMariadb, OrderByWithLimitKeepsEachKeysOrder) {
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v, n FROM ub WHERE k='%s' ORDER BY n DESC LIMIT 2"));
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s' ORDER BY n LIMIT 10"));
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s' GROUP BY v LIMIT 10"));
  EXPECT_PRED1(IsUnionCount, ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s' LIMIT 1"));
}

TEST_F(MysqlUnionBatchWithMariadb, TemplatesThatMustNotBeJoinedRunOneByOne) {
  const long keys = static_cast<long>(BatchKeys().size());
  // MariaDB would drop this ORDER BY in a branch (no LIMIT).
  EXPECT_GE(ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s' ORDER BY n DESC", "", true), keys - 1);
  EXPECT_GE(ExpectSameAsOneByOne("SELECT DISTINCT v FROM ub WHERE k='%s'", "", true), keys - 1);
  EXPECT_GE(ExpectSameAsOneByOne("SELECT * FROM ub_pick WHERE x='%s'", "", true), keys - 1);
  // A substitution in the select list: UNION would merge the column types.
  EXPECT_GE(ExpectSameAsOneByOne("SELECT ROUND(d, MOD(LENGTH('%s'), 4)) FROM ub WHERE k='%s'", "", true), keys - 1);
  EXPECT_GE(ExpectSameAsOneByOne("SELECT v FROM ub WHERE k='%s' UNION SELECT 'u'", "", true), keys - 1);
}

TEST_F(MysqlUnionBatchWithMariadb, FailingKeyInTheMiddleFailsAsOneByOne) {
  // "twice@example.com" picks two keys: the subquery returns more than one
  // row and that key's query fails; the UNION ALL statement holding it fails
  // and its keys run again one statement each.
  long statements = ExpectSameAsOneByOne("SELECT v FROM ub WHERE k = (SELECT k FROM ub_pick WHERE x='%s')");
  EXPECT_GE(statements, 2) << "the UNION ALL statement, then its keys one statement each";
  // A whole batch that fails (no such table): the first key's query fails,
  // as one by one.
  ExpectSameAsOneByOne("SELECT v FROM no_such_table WHERE k='%s'");
}

// Columns of every type, with their extreme values, NULLs and bytes that
// need care, for the prepared statement's binary results.
const char kTypedData[] = R"SQL(
DROP TABLE IF EXISTS ubt;
CREATE TABLE ubt (k VARCHAR(255), ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT,
                  iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, de DECIMAL(20,6), c CHAR(5), vb VARBINARY(20),
                  tx TEXT, bl BLOB, en ENUM('a','b'), st SET('x','y'), js JSON, bo BOOL, fl FLOAT, db DOUBLE,
                  dt DATE, tm TIME(2), yr YEAR, bt BIT(9), zf INT(6) ZEROFILL, ts TIMESTAMP(3) NULL, KEY (k));
INSERT INTO ubt VALUES
  ('one@example.com', -128, 255, -32768, -8388608, -2147483648, 4294967295, -9223372036854775808,
   18446744073709551615, -12345678901234.123456, 'ab', X'00FF0D0A09', REPEAT('long text ', 300), X'000102',
   'b', 'x,y', '{"a": [1, "two"]}', TRUE, 1.1, 2.2e-300, '2026-01-02', '-838:59:59.99', 2026, b'101010101',
   42, '2026-11-26 10:00:00.123'),
  ('multi@example.com', 127, 0, 32767, 8388607, 2147483647, 0, 9223372036854775807, 0, 0.000001, '',
   '', '', '', 'a', '', '[]', FALSE, -0.5, 1e300, '1000-01-01', '00:00:00', 1901, b'0', 0, NULL),
  ('multi@example.com', 0, 1, -1, 0, -7, 7, -1, 1, -0.5, 'zzzzz', 'x', 'caf)SQL" "\xc3\xa9" R"SQL(', 'b',
   'a', 'y', 'null', NULL, 3.25e10, 0.1, '9999-12-31', '12:34:56.7', 2155, b'111111111', 999999, NULL),
  ('nulls@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)SQL";

TEST_F(MysqlUnionBatchWithMariadb, PreparedStatementGivesTheTextProtocolsBytes) {
  std::string why;
  ASSERT_TRUE(db_->Exec(kTypedData, &why)) << why;
  // 360 keys: 11 parts of 32 and one of 8.  A connection's first part runs
  // as text (its first key alone, then a UNION ALL of 31); its later full
  // parts run as the prepared statement.
  constexpr int kRounds = 20;
  // (A harmless extra line stops ExpectSameAsOneByOne counting the one by
  // one statements where keys are skipped.)
  auto prepared_runs = [&](const std::string& query, long* statements, const std::string& extra = "") {
    long before = Counter("Com_stmt_execute");
    *statements = ExpectSameAsOneByOne(query, extra, false, kRounds);
    return Counter("Com_stmt_execute") - before;
  };
  long statements = 0;
  // Integers, decimals, strings of every kind and a NULL column: prepared.
  for (const char* columns : {"ti, tu, si, mi, i, iu, bi, bu, bo", "de, c, vb, tx, bl, en, st, js",
                              "k, NULL, CONCAT(c, '%%'), i + 1, bu DIV 2"}) {
    SCOPED_TRACE(columns);
    long prepared = prepared_runs(std::string("SELECT ") + columns + " FROM ubt WHERE k='%s'", &statements);
    EXPECT_GE(prepared, 9) << "the prepared statement was used";
    EXPECT_LE(prepared, 10);
    EXPECT_GE(statements, 13) << "12 parts, a key alone on each connection";
    EXPECT_LE(statements, 16) << "and a prepare on each";
  }
  // Several parameters per branch, one escape twice.
  EXPECT_GE(prepared_runs("SELECT v FROM ub WHERE k='%s' AND k LIKE CONCAT('%s', '%%') AND '%s' <> 'x'", &statements),
            9);
  // Types whose binary form is not the server's text: UNION ALL as text,
  // or one statement per key where a UNION's column is not the query's
  // (YEAR, TIMESTAMP).
  for (const char* column : {"fl", "db", "dt", "tm", "bt", "db * 2"}) {
    SCOPED_TRACE(column);
    EXPECT_EQ(prepared_runs(std::string("SELECT tx, ") + column + " FROM ubt WHERE k='%s'", &statements), 0);
    EXPECT_LE(statements, 14);
  }
  for (const char* column : {"yr", "ts"})
    EXPECT_EQ(prepared_runs(std::string("SELECT tx, ") + column + " FROM ubt WHERE k='%s'", &statements), 0);
  // ZEROFILL, which a UNION's columns lose (MariaDB prints 42, not 000042):
  // one statement per key.
  EXPECT_EQ(prepared_runs("SELECT tx, zf FROM ubt WHERE k='%s'", &statements), 0);
  EXPECT_GE(statements, 18 * kRounds - 1);
  // Substitutions that are not whole literals: UNION ALL as text.
  EXPECT_EQ(prepared_runs("SELECT v FROM ub WHERE k='%u@%d'", &statements, "expansion_limit = 100\n"), 0);
  EXPECT_EQ(prepared_runs("SELECT v FROM ub WHERE k=_utf8mb4'%s'", &statements), 0);
  EXPECT_LE(statements, 14);
}

TEST_F(MysqlUnionBatchWithMariadb, BatchIsSharedWithASecondConnection) {
  const std::string input = StdinOf(BatchKeys());
  auto connections = [&](const std::string& query, const std::string& keys) {
    std::string table = db_->WriteTable(dir_, "c.cf", "query = " + query + "\n");
    long before = Counter("Connections");
    long statements = 0;
    CommandResult r = Mctable(table, keys, &statements);
    EXPECT_EQ(r.exit_status, 0) << r.err;
    // Mctable's own counter queries, and this one, connect too.
    return Counter("Connections") - before - 3;
  };
  EXPECT_EQ(connections("SELECT v FROM ub WHERE k='%s'", input), 2) << "a batch of several statements";
  EXPECT_EQ(connections("SELECT v FROM ub WHERE k='%s'", "one@example.com\nmulti@example.com\n"), 1)
      << "a batch of one statement";
  EXPECT_EQ(connections("SELECT v FROM `ub` WHERE k='%s'", input), 1) << "one query at a time, in order";
}

TEST_F(MysqlUnionBatchWithMariadb, SecondConnectionRefusedRunsOnOne) {
  std::string why;
  ASSERT_TRUE(server_->Sql("CREATE USER IF NOT EXISTS 'pf1'@'127.0.0.1' IDENTIFIED BY 'secret' "
                           "WITH MAX_USER_CONNECTIONS 1; GRANT SELECT ON mctable.* TO 'pf1'@'127.0.0.1';",
                           &why))
      << why;
  const std::string input = StdinOf(BatchKeys());
  const std::string query = "query = SELECT v, w FROM ub WHERE k='%s'\n";
  std::string shared = db_->WriteTable(dir_, "shared.cf", query);
  std::string single = "mysql:" + dir_.WriteFile("single.cf", "hosts = " + server_->hosts() +
                                                                 "\nuser = pf1\npassword = secret\ndbname = mctable\n" +
                                                                 query);
  long statements = 0;
  CommandResult two = Mctable(shared, input, &statements);
  CommandResult one = Mctable(single, input, &statements);
  EXPECT_EQ(one.exit_status, two.exit_status) << one.err;
  EXPECT_EQ(one.out, two.out);
  std::string err = one.err;
  for (size_t at; (at = err.find("/single.cf")) != std::string::npos;) err.replace(at, 10, "/shared.cf");
  EXPECT_EQ(err, two.err) << "the refused second connection is not an error";
  EXPECT_PRED1(IsUnionCount, statements);
}

}  // namespace
}  // namespace mctable
