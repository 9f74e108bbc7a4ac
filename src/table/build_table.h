// BuildTableFromSource: what "postmap TYPE:/path/file" and "postmap -i
// TYPE:/path/file" do.
//
// incremental == false: reads /path/file in the source format
// (source_reader.h) and rebuilds the table from empty (OpenOptions::truncate:
// built aside and put in place at the end, so readers never see it half
// built).  incremental == true: reads records from standard input and adds
// them to the table, creating it if needed.  A name without "type:" gets
// the default type (WithDefaultTableType, table_registry.h; the command
// passes main.cf's default_database_type).  The input is streamed:
// memory does not grow with its size.
//
// Key folding, NUL convention, duplicate handling and the mode of a new
// file come from `options` (read_write/create/truncate are set here);
// duplicates warn as the table type does in Postfix.  Source format
// problems are warnings and the line is skipped, as postmap does.  Errors:
// a missing source file is a ConfigError "open /path/file: REASON"; a type
// that cannot be built is a ConfigError "unsupported map type for this
// operation: TYPE" (a proxy: table, which proxymap cannot empty, is refused
// as postmap refuses it: "can't create maps via the proxy service"); a
// failed write is the table's error, which names the table and the key,
// and then a rebuilt table is left as it was.  When the process is asked
// to stop (common/interrupt.h), the build stops between batches with a
// TempError "interrupted" and is abandoned like any failed one; an
// incremental load closes the table, keeping what it stored
// (report->stored).  An incremental load sets OpenOptions::bulk_update.
//
// Records go to the table in batches (UpdateMany), so a memcache table
// pipelines them; warnings still come in input order (a batch ends before
// a line the reader warns about).  An entry the table refuses (a memcache
// key outside the domain list, say) does not stop the build; it is counted
// in report->refused.  An incremental load opens the table with
// OpenOptions::caller_logs_refusals and logs each refusal itself, with its
// input line: "stdin, line N: memcache:/path/file.cf: skipping update for
// name ...".  Errors from writing (UpdateMany, Close) are
// worded "table TYPE:NAME: write error: REASON" unless REASON names the
// table already.
#ifndef MCTABLE_TABLE_BUILD_TABLE_H_
#define MCTABLE_TABLE_BUILD_TABLE_H_

#include <cstddef>
#include <functional>
#include <string_view>

#include "mctable/status.h"
#include "mctable/table.h"
#include "table/source_reader.h"

namespace mctable {

// What a build or load did: for the caller's summary, and for the report
// of a run that was interrupted or failed part way.
struct BuildReport {
  size_t stored = 0;     // entries the table accepted (committed for a load)
  size_t malformed = 0;  // input lines skipped for their format (warned)
  size_t refused = 0;    // entries the table refused with a warning
  int last_line = 0;     // input line of the last entry the table accepted
  // After a failed load: whether the entries stored before the failure are
  // in the table (lmdb, memcache) or were discarded with it (hash and btree
  // are updated in place and put back as they were, saved_copy.h).
  bool stored_kept = true;
  // Called, when set, after each batch the table took, with the counts so
  // far (the command's progress display).
  std::function<void(const BuildReport&)> after_batch;
};

// The reader options of a source for a table opened with `options` (UTF-8
// input is required when keys are UTF-8, as postmap does).
SourceReader::Options SourceReaderOptionsFor(const OpenOptions& options);

// The refusals postmap makes before it opens the source file (a proxy:
// table cannot be built); callers that open the source themselves call it
// first.
Status CheckBuildableBeforeSource(std::string_view type_and_name, bool incremental);

Status BuildTableFromSource(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, BuildReport* report = nullptr);

// The same with the records taken from `reader` (a source file the caller
// opened, tests).
Status BuildTableFromReader(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, SourceReader* reader, BuildReport* report = nullptr);

}  // namespace mctable

#endif  // MCTABLE_TABLE_BUILD_TABLE_H_
