// Table-type modules: the parts of the library that need a large client
// library (libpq, the MariaDB client) are built as shared objects of their
// own (mctable-pgsql.so, mctable-mysql.so) and loaded the first time a
// table of that type is opened, as Postfix loads postfix-pgsql.so through
// dynamicmaps.cf.  A program that never opens such a table never maps the
// client library and what it pulls in (for libpq: gnutls, krb5, ldap,
// about 5 MB of resident memory in every process that links it).
//
// Where a module is looked for, relative to the directory of the program
// or shared library that holds this code: modules/ (the build tree),
// mctable/ (beside an installed libmctable.so), the installed programs'
// path to <libdir>/mctable; then <libdir>/mctable of the configured
// installation prefix (for programs linked with the static library).  No
// search path of the dynamic loader is used: a module is only ever loaded
// from one of these places, never from the current directory.
//
// Guarantees: a module built for another version of the library is
// refused; a module, once loaded, stays loaded for the life of the
// process; thread-safe.  Fails with a ConfigError naming the module and
// saying why (the loader's own message for each place tried).
#ifndef MCTABLE_TABLE_MODULE_LOADER_H_
#define MCTABLE_TABLE_MODULE_LOADER_H_

#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

// The module's file name: "mctable-" + module + ".so".
std::string ModuleFileName(std::string_view module);

// Loads the module (once) and sets *address to its extern "C" function
// `entry`.
Status LoadModuleEntry(std::string_view module, const char* entry, void** address);

}  // namespace mctable

#endif  // MCTABLE_TABLE_MODULE_LOADER_H_
