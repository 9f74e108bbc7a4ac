// The ldap client module, mctable-ldap.so (module_loader.h): the client of
// ldap_client.h behind the entry point driver_modules.h names.  Built only
// into the module, never into the library.
#include <utility>

#include "common/module_entry.h"
#include "table/db/driver_modules.h"

MCTABLE_DEFINE_MODULE_VERSION

MCTABLE_MODULE_ENTRY mctable::LdapClient* mctable_new_ldap_client(mctable::LdapSettings* settings) {
  return mctable::NewLdapClient(std::move(*settings)).release();
}
