// The mysql driver module, mctable-mysql.so (module_loader.h): the driver
// of mysql_connection.h behind the entry point driver_modules.h names.  Built
// only into the module, never into the library.
#include <utility>

#include "common/module_entry.h"
#include "table/db/driver_modules.h"

MCTABLE_DEFINE_MODULE_VERSION

MCTABLE_MODULE_ENTRY mctable::SqlConnector* mctable_new_mysql_connector(mctable::MysqlSettings* settings) {
  return mctable::NewMysqlConnector(std::move(*settings)).release();
}
