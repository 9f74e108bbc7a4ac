// MysqlPreparedUnion: the UNION ALL statement of a mysql: batch
// (mysql_connection.h) prepared once per connection, each key's parts
// bound as its parameters, its rows read in MariaDB's binary protocol.
//
// Why: as text, MariaDB parses and plans the statement of every part of a
// batch again; prepared, it plans it once, and a key costs about half the
// server's CPU time.
//
// It is used only where it gives the bytes the text statement gives:
// - the template's substitutions are whole single-quoted literals
//   (ParameterizeMysqlQuery), each bound as a string parameter: MariaDB
//   takes a string parameter as a string literal in the connection's
//   character set and collation, so the key's value is the one the
//   escaped literal gives;
// - every result column is of a type whose binary form is the text the
//   server would send: character and binary strings (CHAR, VARCHAR, TEXT,
//   BLOB, ENUM, SET, JSON), DECIMAL (sent as its text in both protocols),
//   a NULL column, and integers without ZEROFILL (printed here in
//   decimal, signed or not as the column says).  Prepare refuses any
//   other column (FLOAT, DOUBLE, dates and times, YEAR, BIT, ZEROFILL,
//   GEOMETRY): the caller keeps the text statement for this connection.
//
// Failures: Run says whether the connection was lost (a client error:
// the caller fails the part as the text statement would) or the statement
// failed otherwise, or gave rows that cannot be assigned to their
// branches; then nothing was delivered and the caller runs the part as
// text, whose failure handling is Postfix's.
#ifndef MCTABLE_TABLE_SQL_MYSQL_PREPARED_UNION_H_
#define MCTABLE_TABLE_SQL_MYSQL_PREPARED_UNION_H_

#include <mysql.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_format.h"
#include "table/sql/sql_connection.h"

namespace mctable {

// A result column as the server describes it: what decides how its values
// are printed (its type, decimals, and of its flags UNSIGNED and ZEROFILL).
struct MysqlColumn {
  enum_field_types type;
  unsigned int flags;
  unsigned int decimals;
};
// The columns of a result (or of a statement's result metadata).
std::vector<MysqlColumn> DescribeColumns(MYSQL_RES* result);
// Whether the columns of a UNION of the query's branches (a tag column
// first) print their values as the query alone prints them (`query`):
// column by column, both strings of any kind (CHAR, VARCHAR, TEXT, BLOB,
// ENUM, SET, JSON, or a NULL column, which a UNION may turn into one
// another without changing a value), or the same type with the same
// decimals and signedness, and no ZEROFILL in the query's (a UNION drops
// it).
bool UnionPrintsAsQuery(const std::vector<MysqlColumn>& union_columns, const std::vector<MysqlColumn>& query);

class MysqlPreparedUnion {
 public:
  MysqlPreparedUnion() = default;
  MysqlPreparedUnion(const MysqlPreparedUnion&) = delete;
  MysqlPreparedUnion& operator=(const MysqlPreparedUnion&) = delete;
  ~MysqlPreparedUnion();

  // Prepares, on `db`, `branches` branches "(SELECT tag, <select_tail>)"
  // joined by UNION ALL; select_tail is the statement from its select list
  // on, with one "?" per element of `parameters` (the escape each binds).
  // `query_columns` are the columns of the template's query run alone, as
  // text: a UNION's (and a prepared statement's) metadata does not carry
  // all that the text protocol formats by (ZEROFILL), so the types are
  // judged on those.  False when the server refuses the statement, or a
  // column is not of a type listed above, or is not the query's; nothing
  // is kept then.
  bool Prepare(MYSQL* db, std::string_view select_tail, const std::vector<KeyFormat>* parameters,
               size_t branches, const std::vector<MysqlColumn>& query_columns);
  bool prepared() const { return stmt_ != nullptr; }
  size_t branches() const { return branches_; }

  enum class Outcome { kDone, kAsText, kConnectionLost };
  // Runs the statement for `items` (exactly branches() of them): binds each
  // item's key parts, executes, and delivers every item's rows in order.
  // kConnectionLost sets *error to MariaDB's message.
  Outcome Run(QueryBatch* batch, const std::vector<size_t>& items, std::string* error);

 private:
  void Close();
  Outcome Failed(std::string* error);

  MYSQL_STMT* stmt_ = nullptr;
  const std::vector<KeyFormat>* parameters_ = nullptr;
  size_t branches_ = 0;
  // Per result column: whether it is an integer (bound as a 64-bit number)
  // and whether that integer is unsigned.
  std::vector<bool> integer_, unsigned_;
  std::vector<MysqlColumn> query_columns_;  // of the query alone
  std::vector<std::string> values_;  // the parameters' texts
  std::vector<MYSQL_BIND> params_, columns_;
  std::vector<unsigned long> param_lengths_, lengths_;
  std::vector<my_bool> nulls_;
  std::vector<std::string> buffers_;
  std::vector<long long> numbers_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_MYSQL_PREPARED_UNION_H_
