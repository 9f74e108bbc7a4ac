// BuildTableFromSource: what "postmap TYPE:/path/file" and "postmap -i
// TYPE:/path/file" do.
//
// incremental == false: reads /path/file in the source format
// (source_reader.h) and rebuilds the table from empty (OpenOptions::truncate:
// built aside and put in place at the end, so readers never see it half
// built).  incremental == true: reads records from standard input and adds
// them to the table, creating it if needed.  A name without "type:" uses
// Postfix's Debian default_database_type, hash.
//
// Key folding, NUL convention and duplicate handling come from `options`
// (read_write/create/truncate are set here); duplicates warn as the table
// type does in Postfix.  Source format problems are warnings and the line
// is skipped, as postmap does.  Errors: a missing source file is a
// ConfigError "open /path/file: REASON"; a type that cannot be built is a
// ConfigError "unsupported map type for this operation: TYPE" (a proxy:
// table, which proxymap cannot empty, is refused as postmap refuses it:
// "can't create maps via the proxy service"); table errors
// are passed on, and then the table is left as it was.
//
// Records go to the table in batches (UpdateMany), so a memcache table
// pipelines them.  An entry the table refuses with a warning of its own (a
// memcache key outside the domain list, say) does not stop the build; it is
// counted in *refused when that is given.
#ifndef MCTABLE_TABLE_BUILD_TABLE_H_
#define MCTABLE_TABLE_BUILD_TABLE_H_

#include <string_view>

#include "mctable/status.h"
#include "mctable/table.h"
#include "table/source_reader.h"

namespace mctable {

Status BuildTableFromSource(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, size_t* refused = nullptr);

// The same with the records taken from `reader` (tests, or a caller with
// its own input).
Status BuildTableFromReader(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, SourceReader* reader, size_t* refused = nullptr);

}  // namespace mctable

#endif  // MCTABLE_TABLE_BUILD_TABLE_H_
