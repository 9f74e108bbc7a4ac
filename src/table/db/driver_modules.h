// The database drivers (pgsql_connection.h, mysql_connection.h,
// ldap_client.h) as the library sees them: each lives in a module
// (module_loader.h) that is loaded when the first table of its type is
// opened, so that only the programs that use PostgreSQL, MariaDB or LDAP
// map their client libraries.
//
// Fails with a ConfigError when the module cannot be loaded (not
// installed, its client library missing, built for another version); the
// table's opener reports it with the table's name.
#ifndef MCTABLE_TABLE_DB_DRIVER_MODULES_H_
#define MCTABLE_TABLE_DB_DRIVER_MODULES_H_

#include <memory>

#include "mctable/status.h"
#include "table/ldap/ldap_client.h"
#include "table/sql/mysql_connection.h"
#include "table/sql/pgsql_connection.h"

namespace mctable {

// The modules' entry points: each takes its settings (moved from) and
// returns a new connector that the caller owns.
#define MCTABLE_PGSQL_CONNECTOR_ENTRY "mctable_new_pgsql_connector"
#define MCTABLE_MYSQL_CONNECTOR_ENTRY "mctable_new_mysql_connector"
#define MCTABLE_LDAP_CLIENT_ENTRY "mctable_new_ldap_client"
using NewPgsqlConnectorFunction = SqlConnector* (*)(PgsqlSettings* settings);
using NewMysqlConnectorFunction = SqlConnector* (*)(MysqlSettings* settings);
using NewLdapClientFunction = LdapClient* (*)(LdapSettings* settings);

Status LoadPgsqlConnector(PgsqlSettings settings, std::unique_ptr<SqlConnector>* connector);
Status LoadMysqlConnector(MysqlSettings settings, std::unique_ptr<SqlConnector>* connector);
Status LoadLdapClient(LdapSettings settings, std::unique_ptr<LdapClient>* client);

}  // namespace mctable

#endif  // MCTABLE_TABLE_DB_DRIVER_MODULES_H_
