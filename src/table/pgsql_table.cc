// pgsql:NAME (pgsql_table(5)): lookups in PostgreSQL databases, configured
// by the file NAME (or main.cf NAME_* parameters).
//
// Parameters: Postfix's (hosts, user, password, dbname, query or the
// legacy select_function / table / select_field / where_field /
// additional_conditions, result_format, domain, expansion_limit), plus
// encoding (Postfix 3.8; default LATIN1, what Postfix 3.7 always uses),
// retry_interval and idle_interval (Postfix 3.9; 60 seconds each), and
// mctable's connect_timeout (10) and query_timeout (30), which bound what
// Postfix leaves unbounded.
//
// Only read-only opens are allowed, with Postfix's message "pgsql:NAME map
// requires O_RDONLY access mode"; a configuration error is a ConfigError
// worded as Postfix's.  See network_sql_table.h for the lookup guarantees.
#include <memory>

#include "mctable/config.h"
#include "table/db/db_common.h"
#include "table/db/driver_modules.h"
#include "table/sql/network_sql_table.h"
#include "table/sql/pgsql_connection.h"
#include "table/sql/sql_text.h"
#include "table/sql/sql_timeouts.h"
#include "table/table_types.h"

namespace mctable {

Status OpenPgsqlTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  Config config;
  Status s = ReadDbTableConfig("pgsql", name, options, &config);
  if (!s.ok()) return s;
  PgsqlSettings settings;
  s = ReadSqlLogin(config, &settings.user, &settings.password, &settings.dbname);
  if (!s.ok()) return s;
  std::unique_ptr<DbCommon> common;
  DbCommon::Naming naming{"pgsql", std::string(name), "dict_pgsql_lookup"};
  naming.select_function = true;
  s = DbCommon::Configure(config, naming, options, &common);
  if (!s.ok()) return s;
  SqlTimeouts timeouts;
  s = config.GetString("encoding", "LATIN1", 1, &settings.encoding);
  if (s.ok()) s = timeouts.Read(config);
  if (!s.ok()) return s;
  settings.connect_timeout_seconds = timeouts.connect;
  settings.query_timeout_seconds = timeouts.query;
  settings.pipeline = IsSingleStatement(common->query_template());
  std::string escapes;
  if (ParameterizeQuery(common->query_template(), &settings.statement, &escapes)) {
    for (char escape : escapes) {
      KeyFormat& parameter = settings.parameters.emplace_back();
      s = KeyFormat::Parse(std::string("%") + escape, name, &parameter);
      if (!s.ok()) return s;
    }
  }

  std::vector<ServerAddress> servers;
  for (const std::string& host : SplitHostList(config.GetString("hosts", "")))
    servers.push_back(ParsePgsqlServer(host));
  std::unique_ptr<SqlConnector> connector;
  s = LoadPgsqlConnector(std::move(settings), &connector);
  if (!s.ok()) return Status::ConfigError("pgsql:" + std::string(name) + ": " + s.message());
  *table = std::make_unique<NetworkSqlTable>(std::move(common), std::move(connector),
                                             ServerList(std::move(servers), timeouts.retry, timeouts.idle));
  return Status::OK();
}

}  // namespace mctable
