// The openers of the table types built into the library.  Each type's file
// defines its opener; registry.cc lists them all, so a program that links
// the library (static or shared) has every type without link tricks.
// Adding a type: define its opener in its own file, declare it here and add
// one line to the list in registry.cc.
#ifndef MCTABLE_TABLE_TABLE_TYPES_H_
#define MCTABLE_TABLE_TABLE_TYPES_H_

#include <memory>
#include <string_view>

#include "mctable/table.h"

namespace mctable {

Status OpenMemcacheTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenLmdbTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#ifdef MCTABLE_HAVE_BDB
Status OpenHashTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenBtreeTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
#ifdef MCTABLE_HAVE_CDB
Status OpenCdbTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
#ifdef MCTABLE_HAVE_SQLITE
Status OpenSqliteTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
#ifdef MCTABLE_HAVE_PGSQL
Status OpenPgsqlTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
#ifdef MCTABLE_HAVE_MYSQL
Status OpenMysqlTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
#ifdef MCTABLE_HAVE_LDAP
Status OpenLdapTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
#endif
Status OpenProxyTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenTexthashTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenInlineTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenStaticTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);
Status OpenFailTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table);

}  // namespace mctable

#endif  // MCTABLE_TABLE_TABLE_TYPES_H_
