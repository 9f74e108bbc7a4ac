// The PostgreSQL driver of the pgsql: table (libpq).
//
// - Servers are named as Postfix's pgsql_table(5) names them:
//   "postgresql://..." (a connection URI: dbname, user and password from
//   the table are not used), "unix:/socket/dir" or "/socket/dir",
//   "inet:host[:port]" or "host[:port]".
// - A connection is opened without blocking past connect_timeout, with
//   the table's client encoding (Postfix 3.7 sets LATIN1), and kept in
//   libpq's pipeline mode: the queries of a batch are sent back to back
//   (extended protocol, a sync every few dozen) while the answers are read
//   as they come, so a batch of N keys costs about one round trip, not N.
//   A template holding several statements cannot use the extended
//   protocol; it is run one query at a time with the simple protocol,
//   keeping the last result, as Postfix's PQexec does.
// - A template whose substitutions are whole literals (ParameterizeQuery)
//   is prepared once per connection and each key sent as its parameters:
//   the server parses and plans it once, not once per key.  If the server
//   refuses to prepare it, the connection sends query texts instead.
// - Keys are quoted with PQescapeStringConn, per connection (the escaping
//   depends on the connection's encoding).
// - Each query's answer must arrive within query_timeout seconds of the
//   previous one's; a server that stalls fails the run.  Warnings are
//   Postfix's: "connect to pgsql server HOST: ...", "pgsql query failed:
//   fatal error from host HOST: ...".
#ifndef MCTABLE_TABLE_SQL_PGSQL_CONNECTION_H_
#define MCTABLE_TABLE_SQL_PGSQL_CONNECTION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_format.h"
#include "table/sql/sql_connection.h"

namespace mctable {

struct PgsqlSettings {
  std::string dbname;
  std::string user;      // empty: libpq's default
  std::string password;  // empty: none (libpq may still use ~/.pgpass)
  std::string encoding = "LATIN1";
  int connect_timeout_seconds = 10;
  int query_timeout_seconds = 30;
  bool pipeline = true;  // false: one query at a time, simple protocol
  // The statement to prepare (ParameterizeQuery) and, for each of its
  // parameters $n, the template "%X" that gives its value; empty: texts.
  std::string statement;
  std::vector<KeyFormat> parameters;
};

ServerAddress ParsePgsqlServer(std::string_view text);

// The driver itself: defined in the pgsql module only (mctable-pgsql.so); the
// library reaches it through LoadPgsqlConnector (driver_modules.h).
std::unique_ptr<SqlConnector> NewPgsqlConnector(PgsqlSettings settings);

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_PGSQL_CONNECTION_H_
