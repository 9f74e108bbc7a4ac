// Modules: the parts of the library that need a large library of their
// own are built as shared objects (mctable-pgsql.so and mctable-mysql.so,
// the SQL drivers with libpq and the MariaDB client; mctable-openssl.so,
// key_digest, signed values and TLS with libcrypto and libssl) and loaded
// the first time a table needs them, as Postfix loads postfix-pgsql.so
// through dynamicmaps.cf.  A program that never needs one never maps its
// library and what that pulls in (libpq: gnutls, krb5, ldap, about 5 MB of
// resident memory; OpenSSL about 1.7 MB), which a table build would
// otherwise pay on top of its own work.
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
#ifndef MCTABLE_COMMON_MODULE_LOADER_H_
#define MCTABLE_COMMON_MODULE_LOADER_H_

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

#endif  // MCTABLE_COMMON_MODULE_LOADER_H_
