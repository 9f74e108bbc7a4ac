// Table type registry and OpenTable().
#include <algorithm>
#include <map>

#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "table/utf8_table.h"

namespace mctable {
namespace {

using TypeMap = std::map<std::string, TableOpener, std::less<>>;

TypeMap BuiltinTypes() {
  return {
      {"memcache", OpenMemcacheTable},
      {"lmdb", OpenLmdbTable},
#ifdef MCTABLE_HAVE_BDB
      {"hash", OpenHashTable},
      {"btree", OpenBtreeTable},
#endif
#ifdef MCTABLE_HAVE_CDB
      {"cdb", OpenCdbTable},
#endif
#ifdef MCTABLE_HAVE_SQLITE
      {"sqlite", OpenSqliteTable},
#endif
#ifdef MCTABLE_HAVE_PGSQL
      {"pgsql", OpenPgsqlTable},
#endif
#ifdef MCTABLE_HAVE_MYSQL
      {"mysql", OpenMysqlTable},
#endif
#ifdef MCTABLE_HAVE_LDAP
      {"ldap", OpenLdapTable},
#endif
      {"proxy", OpenProxyTable},
      {"texthash", OpenTexthashTable},
      {"inline", OpenInlineTable},
      {"static", OpenStaticTable},
      {"fail", OpenFailTable},
  };
}

TypeMap& Registry() {
  static TypeMap registry = BuiltinTypes();
  return registry;
}

}  // namespace

void RegisterTableType(std::string_view type, TableOpener opener) {
  Registry()[std::string(type)] = opener;
}

std::vector<std::string> RegisteredTableTypes() {
  std::vector<std::string> types;
  for (const auto& [type, opener] : Registry()) types.push_back(type);
  return types;
}

std::string WithDefaultTableType(std::string_view name, std::string_view default_type) {
  if (name.find(':') != std::string_view::npos) return std::string(name);
  if (default_type.empty()) default_type = Registry().contains("hash") ? "hash" : "lmdb";
  return std::string(default_type) + ":" + std::string(name);
}

Status OpenTable(std::string_view type_and_name, const OpenOptions& options,
                 std::unique_ptr<Table>* table) {
  size_t colon = type_and_name.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Status::ConfigError("open database " + std::string(type_and_name) +
                               ": need \"type:name\" form");
  std::string_view type = type_and_name.substr(0, colon);
  std::string_view name = type_and_name.substr(colon + 1);
  auto it = Registry().find(type);
  if (it == Registry().end())
    return Status::ConfigError("unsupported dictionary type: " + std::string(type));
  Status s = it->second(name, options, table);
  if (s.ok() && options.utf8)
    *table = WithUtf8Checks(std::move(*table), /*log_refusals=*/!options.caller_logs_refusals);
  return s;
}

}  // namespace mctable
