// The registry of table types.  Each type lives in one file that registers
// its opener with MCTABLE_REGISTER_TABLE_TYPE; OpenTable() looks the type
// up here.  Adding a type is adding that one file.
#ifndef MCTABLE_TABLE_REGISTRY_H_
#define MCTABLE_TABLE_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/table.h"

namespace mctable {

// Opens the table called `name` (the part after "type:").
using TableOpener = Status (*)(std::string_view name, const OpenOptions& options,
                               std::unique_ptr<Table>* table);

// Registers `type`; returns true so it can initialise a static.
bool RegisterTableType(std::string_view type, TableOpener opener);

// The registered type names, sorted.
std::vector<std::string> RegisteredTableTypes();

// "type:name" as given, or with Postfix's default_database_type (hash;
// lmdb when hash is not built in) for a bare name, as postmap does.
std::string WithDefaultTableType(std::string_view name);

#define MCTABLE_REGISTER_TABLE_TYPE(type, opener)                        \
  [[maybe_unused]] static const bool mctable_registered_##opener = \
      ::mctable::RegisterTableType(type, opener)

}  // namespace mctable

#endif  // MCTABLE_TABLE_REGISTRY_H_
