// The opener a DomainList uses for its type:table patterns: tables are
// opened as Postfix opens match-list tables (O_RDONLY with
// DICT_FLAG_LOCK|DICT_FLAG_FOLD_FIX): read-only, keys folded even under
// "postmap -f", the type's own NUL convention; only the configuration
// directory is taken from the parent table's options.
#ifndef MCTABLE_TABLE_LISTED_TABLE_H_
#define MCTABLE_TABLE_LISTED_TABLE_H_

#include "match/domain_list.h"
#include "mctable/table.h"

namespace mctable {

// The options a list table is opened with, given its parent's.
OpenOptions ListedTableOptions(const OpenOptions& parent);

ListedTableOpener ListedTableOpenerFor(const OpenOptions& parent);

}  // namespace mctable

#endif  // MCTABLE_TABLE_LISTED_TABLE_H_
