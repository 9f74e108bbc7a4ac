// The registry of table types.  OpenTable() looks the type up here.  Every
// type built into the library is present from the first call, whatever the
// way the library was linked; a program may add types of its own with
// RegisterTableType (before it opens tables: the registry is not
// thread-safe while it changes).
#ifndef MCTABLE_TABLE_REGISTRY_H_
#define MCTABLE_TABLE_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/export.h"
#include "mctable/table.h"

namespace mctable {

// Opens the table called `name` (the part after "type:").
using TableOpener = Status (*)(std::string_view name, const OpenOptions& options,
                               std::unique_ptr<Table>* table);

// Registers `type`, replacing a type of that name.
MCTABLE_EXPORT void RegisterTableType(std::string_view type, TableOpener opener);

// The registered type names, sorted.
MCTABLE_EXPORT std::vector<std::string> RegisteredTableTypes();

// "type:name" as given, or "default_type:name" for a bare name, as postmap
// does with main.cf's default_database_type.  An empty default_type means
// Postfix's built-in default: hash (lmdb when hash is not built in).  The
// type is not checked here: OpenTable refuses an unknown one.
MCTABLE_EXPORT std::string WithDefaultTableType(std::string_view name,
                                                std::string_view default_type = {});

}  // namespace mctable

#endif  // MCTABLE_TABLE_REGISTRY_H_
