// The pgsql driver module, mctable-pgsql.so (module_loader.h): the driver
// of pgsql_connection.h behind the entry point driver_modules.h names.  Built
// only into the module, never into the library.
#include <utility>

#include "common/module_entry.h"
#include "table/db/driver_modules.h"

MCTABLE_DEFINE_MODULE_VERSION

MCTABLE_MODULE_ENTRY mctable::SqlConnector* mctable_new_pgsql_connector(mctable::PgsqlSettings* settings) {
  return mctable::NewPgsqlConnector(std::move(*settings)).release();
}
