// Tests for the SQL text helpers: one-line messages, and which query
// templates may be pipelined or joined into multi-statement requests.
#include "table/sql/sql_text.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(SqlText, OneLineJoinsLibpqMessages) {
  // libpq's message for a refused connection, as postmap printed it with
  // "?" for each line break and tab.
  EXPECT_EQ(OneLine("connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
                    "\tIs the server running on that host and accepting TCP/IP connections?\n"),
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server "
            "running on that host and accepting TCP/IP connections?");
  EXPECT_EQ(OneLine("ERROR:  relation \"x\" does not exist\nLINE 1: SELECT v FROM x\n   ^\n"),
            "ERROR: relation \"x\" does not exist LINE 1: SELECT v FROM x ^");
  EXPECT_EQ(OneLine("  a\x01" "b\x7f "), "a\\x01b\\x7f");
  EXPECT_EQ(OneLine(""), "");
}

TEST(SqlText, SingleStatement) {
  EXPECT_TRUE(IsSingleStatement("SELECT v FROM t WHERE k='%s'"));
  EXPECT_TRUE(IsSingleStatement("SELECT v FROM t WHERE k='%s';"));
  EXPECT_TRUE(IsSingleStatement("SELECT v FROM t WHERE k='%s' ; \n"));
  EXPECT_FALSE(IsSingleStatement("SET x = 1; SELECT v FROM t WHERE k='%s'"));
  // Conservative: a ";" inside a literal also means one query at a time.
  EXPECT_FALSE(IsSingleStatement("SELECT v FROM t WHERE k='%s' AND v <> ';x'"));
}

TEST(SqlText, MultiStatementSafeTemplates) {
  for (const char* safe : {"SELECT v FROM aliases WHERE k='%s'", "select v from t where k = '%u' and d = '%d'",
                           "  (SELECT v FROM t WHERE k='%s')", "WITH x AS (SELECT 1) SELECT v FROM t WHERE k='%s'",
                           "SELECT v FROM t WHERE k='%s' AND v LIKE '100%%'", "SELECT '%s' || 'x'",
                           "SELECT v FROM t WHERE k='%s' AND n = 'it''s'",
                           "SELECT f FROM t WHERE w='%s' AND status = 'paid'"})
    EXPECT_TRUE(IsMultiStatementSafe(safe)) << safe;
}

TEST(SqlText, UnsafeTemplatesRunOneAtATime) {
  for (const char* unsafe : {
           "SELECT v FROM t WHERE id = %s",             // substitution outside quotes
           "SELECT v FROM t WHERE k='%s'; SELECT 1",    // a second statement
           "SELECT v FROM t WHERE k='%s' # comment",    // would swallow the next one
           "SELECT v FROM t WHERE k='%s' -- comment",
           "SELECT v FROM t WHERE k='%s' /* c */",
           "SELECT v FROM t WHERE k=\"%s\"",            // double quotes: sql_mode dependent
           "SELECT v FROM `t` WHERE k='%s'",
           "SELECT v FROM t WHERE k='%s\\'",            // backslash: sql_mode dependent
           "SELECT v FROM t WHERE k='%s",               // unterminated literal
           "CALL lookup('%s')",                         // several results per call
           "SELECT v FROM t WHERE k='%K'",              // no such escape: the template does not parse
           "SELECT v FROM t WHERE k='%'",
           "SHOW TABLES", "selectx v FROM t WHERE k='%s'", ""})
    EXPECT_FALSE(IsMultiStatementSafe(unsafe)) << unsafe;
}

// The offset of the select list, or -1 when the template is not union safe.
int UnionSelectList(const char* query_template) {
  size_t select_list = 12345;
  if (!IsUnionBatchSafe(query_template, &select_list)) return -1;
  return static_cast<int>(select_list);
}

TEST(SqlText, UnionBatchSafeTemplates) {
  EXPECT_EQ(UnionSelectList("SELECT v FROM aliases WHERE k='%s'"), 6);
  EXPECT_EQ(UnionSelectList("  select a, b FROM t WHERE k = '%u' AND d = '%d'"), 8);
  EXPECT_EQ(UnionSelectList("SELECT(v) FROM t WHERE k='%s'"), 6);
  EXPECT_EQ(UnionSelectList("SELECT\tv FROM t WHERE k='%s'"), 6);
  for (const char* safe : {
           "SELECT v FROM t WHERE k='%s' ORDER BY v DESC LIMIT 3",  // the branch's LIMIT keeps its order
           "SELECT v FROM t WHERE k='%s' GROUP BY v LIMIT 10",
           "SELECT v FROM t WHERE k='%s' LIMIT 1",
           "SELECT v FROM t WHERE k IN (SELECT k FROM u WHERE x='%s' ORDER BY k)",  // a subquery's ORDER BY
           "SELECT t.order, t.limit FROM t WHERE k='%s'",  // names after ".", not keywords
           "SELECT CONCAT(v, '%%') FROM t WHERE k='%s' AND v LIKE 'a%%'",
           "SELECT v FROM t JOIN u ON t.id = u.id WHERE u.k='%s' AND t.n = 'it''s'",
           "SELECT 'union', 'order by' FROM t WHERE k='%s'",  // keywords inside literals are text
           "SELECT v FROM t WHERE k='%s' AND v <> 'x' HAVING v <> '%s'",
           "SELECT v FROM t"})  // no substitution at all
    EXPECT_NE(UnionSelectList(safe), -1) << safe;
}

TEST(SqlText, UnionBatchUnsafeTemplates) {
  for (const char* unsafe : {
           "SELECT v FROM t WHERE id = %s",              // not multi-statement safe
           "SELECT v FROM t WHERE k='%s';",              // (a ";")
           "(SELECT v FROM t WHERE k='%s')",             // a parenthesized query
           "WITH x AS (SELECT 1) SELECT v FROM t WHERE k='%s'",
           "SELECT * FROM t WHERE k='%s'",               // "SELECT 17, *" does not parse
           "SELECT DISTINCT v FROM t WHERE k='%s'",      // modifiers before the list
           "SELECT ALL v FROM t WHERE k='%s'", "SELECT distinctrow v FROM t WHERE k='%s'",
           "SELECT HIGH_PRIORITY v FROM t WHERE k='%s'", "SELECT STRAIGHT_JOIN v FROM t WHERE k='%s'",
           "SELECT SQL_NO_CACHE v FROM t WHERE k='%s'", "SELECT sql_calc_found_rows v FROM t WHERE k='%s'",
           "SELECT v FROM t WHERE k='%s' UNION SELECT w FROM u WHERE k='%s'",  // its own set operations
           "SELECT v FROM t WHERE k='%s' EXCEPT SELECT w FROM u",
           "SELECT v FROM t WHERE k='%s' INTERSECT SELECT w FROM u",
           "SELECT v INTO @x FROM t WHERE k='%s'",       // not allowed in a branch
           "SELECT v FROM t WHERE k='%s' FOR UPDATE", "SELECT v FROM t WHERE k='%s' LOCK IN SHARE MODE",
           "SELECT v FROM t WHERE k='%s' PROCEDURE ANALYSE()",
           "SELECT v FROM t WHERE k='%s' ORDER BY v",    // a branch without LIMIT loses its order
           "SELECT v FROM t WHERE k='%s' GROUP BY v",
           "SELECT ROUND(v, '%s') FROM t",                // a substitution in the select list
           "SELECT '%s' FROM t WHERE k = 'x'",
           "SELECT v FROM t GROUP BY v HAVING v = '%s' LIMIT 2",  // no WHERE before it
           "SELECT x FROM (SELECT ROUND(v, '%s') AS x FROM t) d WHERE x > 1",  // a derived table's list
           "SELECT (SELECT w FROM u WHERE k='%s') FROM t WHERE 1",  // the WHERE of a subquery
           "SELECT v FROM t WHERE (k='%s'",              // unbalanced
           "SELECT v FROM t WHERE k='%s')",
           "SELECTv FROM t WHERE k='%s'", "SELECT", "SELECT  ", "UPDATE t SET v = 1 WHERE k='%s'", ""})
    EXPECT_EQ(UnionSelectList(unsafe), -1) << unsafe;
}

std::string Parameterized(const char* query_template) {
  std::string statement, escapes;
  if (!ParameterizeQuery(query_template, &statement, &escapes)) return "<as text>";
  return statement + " [" + escapes + "]";
}

TEST(SqlText, ParameterizedStatements) {
  EXPECT_EQ(Parameterized("SELECT v FROM aliases WHERE k='%s'"), "SELECT v FROM aliases WHERE k=$1 [s]");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE u = '%u' AND d = '%d' OR k = '%u'"),
            "SELECT v FROM t WHERE u = $1 AND d = $2 OR k = $1 [ud]");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k='%s' AND v LIKE '%%x' AND n = 'it''s'"),
            "SELECT v FROM t WHERE k=$1 AND v LIKE '%x' AND n = 'it''s' [s]");
  EXPECT_EQ(Parameterized("SELECT \"a%%b\" FROM t WHERE d='%2' AND e = '%1';"),
            "SELECT \"a%b\" FROM t WHERE d=$1 AND e = $2; [21]");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k = 'o''%s'"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k='%u@%d'"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE id = %s"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k=E'%s'"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k=U&'%s'"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k=$$%s$$"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k='%s' -- x"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k='%s\\'"), "<as text>");
  EXPECT_EQ(Parameterized("SET a = 1; SELECT v FROM t WHERE k='%s'"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT v FROM t WHERE k='%s"), "<as text>");
  EXPECT_EQ(Parameterized("SELECT 'constant'"), "<as text>");
}

TEST(SqlText, MysqlParameterizedStatements) {
  auto mysql = [](const char* query_template) {
    std::string statement, escapes;
    if (!ParameterizeMysqlQuery(query_template, &statement, &escapes)) return std::string("<as text>");
    return statement + " [" + escapes + "]";
  };
  EXPECT_EQ(mysql("SELECT v FROM aliases WHERE k='%s'"), "SELECT v FROM aliases WHERE k=? [s]");
  // Placeholders in order of appearance, a repeated escape bound again.
  EXPECT_EQ(mysql("SELECT v FROM t WHERE u = '%u' AND d = '%d' OR k = '%u'"),
            "SELECT v FROM t WHERE u = ? AND d = ? OR k = ? [udu]");
  EXPECT_EQ(mysql("SELECT v FROM t WHERE a='%1' AND b='%2' AND c='%3' AND d='%4' AND e='%5' AND f='%6' AND "
                  "g='%7' AND h='%8' AND i='%9' AND j='%s' AND k='%9'"),
            "SELECT v FROM t WHERE a=? AND b=? AND c=? AND d=? AND e=? AND f=? AND g=? AND h=? AND i=? AND j=? "
            "AND k=? [123456789s9]");
  EXPECT_EQ(mysql("SELECT CONCAT(v, '%%') FROM t WHERE k='%s'"), "SELECT CONCAT(v, '%') FROM t WHERE k=? [s]");
  // MySQL's introducers and prefixed literals stay text.
  EXPECT_EQ(mysql("SELECT v FROM t WHERE k=_utf8mb4'%s'"), "<as text>");
  EXPECT_EQ(mysql("SELECT v FROM t WHERE k=N'%s'"), "<as text>");
  EXPECT_EQ(mysql("SELECT v FROM t WHERE k=X'%s'"), "<as text>");
  EXPECT_EQ(mysql("SELECT v FROM t WHERE k='%s' AND c = 'a$b'"), "<as text>");
  EXPECT_EQ(mysql("SELECT v FROM t WHERE k='x%s'"), "<as text>");
}

}  // namespace
}  // namespace mctable
