// The interface between the network SQL table (network_sql_table.h) and a
// database driver (pgsql_connection.h, mysql_connection.h).
//
// A QueryBatch is the work of one LookupMany: one query per item, built
// with the connection's own quoting (the escaping of a key depends on the
// connection's character set, as in Postfix).  A SqlConnection runs the
// items in order, as many at a time on the wire as its protocol allows,
// and reports each item's values as they arrive.
//
// Failure model (Postfix's): the first item whose query fails, or whose
// answer does not arrive within the query timeout, ends the run with a
// reason worded as Postfix's warning; the caller logs it, closes the
// connection, leaves the server alone for retry_interval and runs the
// remaining items on another server.  An item whose key cannot be quoted
// (a character-set error) fails alone.  Drivers log nothing themselves:
// the table logs every warning of a batch in key order, where Postfix,
// looking keys up one by one, would have logged it.
#ifndef MCTABLE_TABLE_SQL_SQL_CONNECTION_H_
#define MCTABLE_TABLE_SQL_SQL_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <string>

#include "common/key_format.h"
#include "table/sql/server_list.h"

namespace mctable {

class QueryBatch {
 public:
  virtual ~QueryBatch() = default;
  virtual size_t size() const = 0;
  // The key of item i, as queried (folded): for a driver that sends the
  // substituted parts as parameters of a prepared statement.
  virtual const std::string& Key(size_t i) const = 0;
  // The query of item i with each substituted part quoted by `quoter`;
  // false when the quoter refused a part (the driver then calls Fail).
  virtual bool BuildQuery(size_t i, const ValueQuoter& quoter, std::string* query) = 0;
  // The answer to item i starts: forget whatever an earlier try gave.
  virtual void Begin(size_t i) = 0;
  // One value of item i's answer, rows in order, columns in order within a
  // row; data is null for SQL NULL.
  virtual void Value(size_t i, const char* data, size_t size) = 0;
  // Item i's query completed; its values are all in.
  virtual void Complete(size_t i) = 0;
  // Item i cannot be queried at all (a quoting error); `reason` says why
  // and `warning` is what Postfix logs.
  virtual void Fail(size_t i, const std::string& reason, const std::string& warning) = 0;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs items [first, batch->size()) in order.  Returns the first item
  // that did not complete (or fail alone): batch->size() when all did;
  // otherwise *failure says why (Postfix's warning) and the connection
  // must not be used again.
  virtual size_t Run(QueryBatch* batch, size_t first, std::string* failure) = 0;
};

class SqlConnector {
 public:
  virtual ~SqlConnector() = default;
  // Connects to `server`, bounded by the connect timeout.  On failure
  // returns false with *failure set to Postfix's warning ("connect to
  // pgsql server HOST: REASON").
  virtual bool Connect(const ServerAddress& server, std::unique_ptr<SqlConnection>* connection,
                       std::string* failure) = 0;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_SQL_CONNECTION_H_
