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

}  // namespace
}  // namespace mctable
