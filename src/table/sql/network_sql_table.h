// NetworkSqlTable: a read-only lookup table served by database servers over
// the network (pgsql:, mysql:), with Postfix's semantics: DbCommon turns
// keys into queries and rows into answers; ServerList picks the server
// (failover, retry after retry_interval, idle close); a driver's
// SqlConnection runs the queries.
//
// Guarantees
// - Lookup and LookupMany give, key by key, what Postfix gives querying one
//   key at a time; LookupMany sends the queries of a batch pipelined on
//   one connection, so a batch costs about one round trip, not one per key.
// - An answer is only ever what a server returned for that key's query;
//   a key whose query did not complete on any server is a TempError naming
//   the table and the last failure, never "not found".
// - Update, delete and first/next are not offered (the opener refuses
//   read-write opens, as Postfix's "map requires O_RDONLY access mode").
#ifndef MCTABLE_TABLE_SQL_NETWORK_SQL_TABLE_H_
#define MCTABLE_TABLE_SQL_NETWORK_SQL_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "table/db/db_common.h"
#include "table/sql/server_list.h"
#include "table/sql/sql_connection.h"

namespace mctable {

class NetworkSqlTable : public Table {
 public:
  NetworkSqlTable(std::unique_ptr<DbCommon> common, std::unique_ptr<SqlConnector> connector,
                  ServerList servers);
  ~NetworkSqlTable() override;

  Status Lookup(std::string_view key, std::string* value) override;
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;
  // Enough keys per call for a long pipeline.
  size_t preferred_batch_size() const override { return 4096; }

 private:
  // The server to query: a connected one, else one connected to now by
  // Postfix's rules (failed connects are recorded, their warnings added to
  // *failures).  ServerList::kNone when there is none.
  size_t ActiveServer(std::vector<std::string>* failures);
  std::string NoServerMessage(const std::string& last_failure) const;

  std::unique_ptr<DbCommon> common_;
  std::unique_ptr<SqlConnector> connector_;
  ServerList servers_;
  std::vector<std::unique_ptr<SqlConnection>> connections_;  // by server index
  std::vector<size_t> to_close_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_NETWORK_SQL_TABLE_H_
