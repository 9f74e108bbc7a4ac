// mysql:NAME (mysql_table(5)): lookups in MySQL or MariaDB databases,
// configured by the file NAME (or main.cf NAME_* parameters).
//
// Parameters: Postfix's (hosts, user, password, dbname, query or the
// legacy table / select_field / where_field / additional_conditions,
// result_format, domain, expansion_limit, option_file, option_group,
// require_result_set, tls_cert_file, tls_key_file, tls_CAfile,
// tls_CApath, tls_ciphers, tls_verify_cert), plus retry_interval and
// idle_interval (Postfix 3.9; 60 seconds each) and mctable's
// connect_timeout (10) and query_timeout (30).
//
// Only read-only opens are allowed ("mysql:NAME map requires O_RDONLY
// access mode").  An option_file that cannot be read is a ConfigError
// naming the table and the file (the client library would ignore it).
// See network_sql_table.h for the lookup guarantees.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "mctable/config.h"
#include "table/db/db_common.h"
#include "table/db/driver_modules.h"
#include "table/sql/mysql_connection.h"
#include "table/sql/network_sql_table.h"
#include "table/sql/sql_text.h"
#include "table/sql/sql_timeouts.h"
#include "table/table_types.h"

namespace mctable {

Status OpenMysqlTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  const std::string full_name = "mysql:" + std::string(name);
  Config config;
  Status s = ReadDbTableConfig("mysql", name, options, &config);
  if (!s.ok()) return s;
  MysqlSettings settings;
  settings.table_name = full_name;
  s = ReadSqlLogin(config, &settings.user, &settings.password, &settings.dbname);
  if (!s.ok()) return s;
  std::unique_ptr<DbCommon> common;
  s = DbCommon::Configure(config, DbCommon::Naming{"mysql", std::string(name), "dict_mysql_lookup"},
                          options, &common);
  if (!s.ok()) return s;

  settings.option_file = config.Find("option_file");
  if (settings.option_file) {
    std::ifstream probe(*settings.option_file);
    if (!probe)
      return Status::ConfigError(full_name + ": cannot read option_file " + *settings.option_file +
                                 ": " + std::strerror(errno));
  }
  settings.option_group = config.GetString("option_group", "client");
  settings.tls_key_file = config.Find("tls_key_file");
  settings.tls_cert_file = config.Find("tls_cert_file");
  settings.tls_ca_file = config.Find("tls_CAfile");
  settings.tls_ca_path = config.Find("tls_CApath");
  settings.tls_ciphers = config.Find("tls_ciphers");
  if (config.Find("tls_verify_cert")) {
    bool verify = false;
    s = config.GetBool("tls_verify_cert", false, &verify);
    if (!s.ok()) return s;
    settings.tls_verify_cert = verify ? 1 : 0;
  }
  s = config.GetBool("require_result_set", true, &settings.require_result_set);
  if (!s.ok()) return s;
  SqlTimeouts timeouts;
  s = timeouts.Read(config);
  if (!s.ok()) return s;
  settings.connect_timeout_seconds = timeouts.connect;
  settings.query_timeout_seconds = timeouts.query;
  settings.multi_statements = IsMultiStatementSafe(common->query_template());
  size_t select_list = 0;
  if (IsUnionBatchSafe(common->query_template(), &select_list)) {
    settings.union_select_list = select_list;
    std::string statement, escapes;
    if (ParameterizeMysqlQuery(common->query_template(), &statement, &escapes)) {
      // The statement's text before the select list is the template's ("SELECT ").
      settings.union_statement_tail = statement.substr(select_list);
      for (char escape : escapes) {
        KeyFormat& parameter = settings.union_parameters.emplace_back();
        s = KeyFormat::Parse(std::string("%") + escape, name, &parameter);
        if (!s.ok()) return s;
      }
    }
  }

  std::vector<ServerAddress> servers;
  for (const std::string& host : SplitHostList(config.GetString("hosts", "")))
    servers.push_back(ParseMysqlServer(host));
  std::unique_ptr<SqlConnector> connector;
  s = LoadMysqlConnector(std::move(settings), &connector);
  if (!s.ok()) return Status::ConfigError("mysql:" + std::string(name) + ": " + s.message());
  *table = std::make_unique<NetworkSqlTable>(std::move(common), std::move(connector),
                                             ServerList(std::move(servers), timeouts.retry, timeouts.idle));
  return Status::OK();
}

}  // namespace mctable
