// LoadPgsqlConnector, LoadMysqlConnector and LoadLdapClient; see driver_modules.h.
#include "table/db/driver_modules.h"

#include "common/module_loader.h"

namespace mctable {

Status LoadPgsqlConnector(PgsqlSettings settings, std::unique_ptr<SqlConnector>* connector) {
  void* entry = nullptr;
  Status s = LoadModuleEntry("pgsql", MCTABLE_PGSQL_CONNECTOR_ENTRY, &entry);
  if (!s.ok()) return s;
  connector->reset(reinterpret_cast<NewPgsqlConnectorFunction>(entry)(&settings));
  return Status::OK();
}

Status LoadMysqlConnector(MysqlSettings settings, std::unique_ptr<SqlConnector>* connector) {
  void* entry = nullptr;
  Status s = LoadModuleEntry("mysql", MCTABLE_MYSQL_CONNECTOR_ENTRY, &entry);
  if (!s.ok()) return s;
  connector->reset(reinterpret_cast<NewMysqlConnectorFunction>(entry)(&settings));
  return Status::OK();
}

Status LoadLdapClient(LdapSettings settings, std::unique_ptr<LdapClient>* client) {
  void* entry = nullptr;
  Status s = LoadModuleEntry("ldap", MCTABLE_LDAP_CLIENT_ENTRY, &entry);
  if (!s.ok()) return s;
  client->reset(reinterpret_cast<NewLdapClientFunction>(entry)(&settings));
  return Status::OK();
}

}  // namespace mctable
