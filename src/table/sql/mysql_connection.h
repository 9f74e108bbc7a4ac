// The MySQL/MariaDB driver of the mysql: table (the MariaDB client library).
//
// - Servers are named as Postfix's mysql_table(5) names them:
//   "unix:/path/to/socket", "inet:host[:port]" or "host[:port]";
//   "localhost" means the default UNIX-domain socket (the MySQL way).
// - A connection reads the [client] option group (option_group) and
//   option_file as Postfix does, and is bounded by connect_timeout and, for
//   each read and write, query_timeout.
// - A batch whose template IsUnionBatchSafe (sql_text.h) is sent as
//   UNION ALL statements of a few dozen keys each, one branch per key
//   tagged with the key's place in the statement: MariaDB's work per
//   statement, not the round trip, is the cost of a lookup.  When such a
//   statement fails for any reason but a lost connection, or its rows do
//   not come back in branch order, its keys are run again the way below,
//   so that results, errors and warnings are those of one query per key.
//   A connection first runs one key alone and keeps its columns; it sends
//   UNION ALL statements only while a union's columns print as those
//   (MariaDB drops ZEROFILL from a UNION's columns, and so the zeros).
//   Where the template allows it (mysql_prepared_union.h), that statement
//   is prepared once per connection and each part binds its keys.
// - Another batch whose template IsMultiStatementSafe is sent as
//   multi-statement requests of up to a few hundred queries each, one
//   round trip per request; any other template is run one query at a time
//   with multi-statements off, exactly as Postfix does.
// - A batch of more than one request (either of the two ways above) is
//   shared with a second connection to the same server, opened by the
//   first such batch and kept with the first: the server runs each
//   connection's statements on one thread, so the batch uses two of its
//   cores.  The parts go out in order and the result is the one a single
//   connection gives: every item before the first failure completes, and
//   that failure is the run's.  If the second connection cannot be
//   opened, the first does all the work, silently.  Templates run one
//   query at a time stay on one connection, in order.
// - Keys are quoted with mysql_real_escape_string on the connection.
// - Result handling is Postfix's: the first result set answers; several
//   result sets with data, a missing result set when require_result_set
//   is on, or any error fail the query, with Postfix's warnings
//   ("mysql:NAME: query failed: ...", "connect to mysql server HOST: ...").
#ifndef MCTABLE_TABLE_SQL_MYSQL_CONNECTION_H_
#define MCTABLE_TABLE_SQL_MYSQL_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_format.h"
#include "table/sql/sql_connection.h"

namespace mctable {

struct MysqlSettings {
  std::string table_name;  // "mysql:NAME", for warnings
  std::string dbname;
  std::string user;
  std::string password;
  std::optional<std::string> option_file;
  std::string option_group = "client";
  std::optional<std::string> tls_key_file, tls_cert_file, tls_ca_file, tls_ca_path, tls_ciphers;
  int tls_verify_cert = -1;  // -1: not set
  bool require_result_set = true;
  int connect_timeout_seconds = 10;
  int query_timeout_seconds = 30;
  bool multi_statements = false;  // batches as multi-statement requests
  // Batches as UNION ALL statements: the offset of the template's select
  // list (IsUnionBatchSafe); needs multi_statements for the way back.
  std::optional<size_t> union_select_list;
  // With union_select_list, when the template's substitutions are whole
  // literals (ParameterizeMysqlQuery): the statement from its select list
  // on with "?" placeholders, and the escape each placeholder binds.  The
  // UNION ALL statement is then prepared (mysql_prepared_union.h).
  std::string union_statement_tail;
  std::vector<KeyFormat> union_parameters;
};

ServerAddress ParseMysqlServer(std::string_view text);

// The driver itself: defined in the mysql module only (mctable-mysql.so); the
// library reaches it through LoadMysqlConnector (driver_modules.h).
std::unique_ptr<SqlConnector> NewMysqlConnector(MysqlSettings settings);

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_MYSQL_CONNECTION_H_
