// texthash:/path: the postmap source file /path itself, read into memory at
// open (Postfix's dict_thash).  No index file is involved, so it is always
// current as of the open.
//
// Semantics as Postfix 3.7: the source format of source_reader.h (texthash
// says "-- ignoring this line" after a format warning); keys folded at load
// and lookup when fold_keys is set; a duplicate key (compared after folding)
// keeps the first value and warns "PATH, line N: duplicate entry: "KEY""
// (KEY as written), or replaces (kReplace) or keeps silently (kIgnore).
// Read-only: opening for writing is refused ("texthash:PATH map requires
// O_RDONLY access mode").  A missing file: ConfigError "open database PATH:
// REASON".  Postfix rereads a file modified within the last second; we read
// once (the file is taken as it is at open).
#include <string.h>

#include <memory>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "table/memory_table.h"
#include "table/source_reader.h"

namespace mctable {
namespace {

}  // namespace

Status OpenTexthashTable(std::string_view name, const OpenOptions& options,
                         std::unique_ptr<Table>* table) {
  std::string path(name);
  if (options.read_write || options.create || options.truncate)
    return Status::Refused("texthash:" + path + " map requires O_RDONLY access mode");
  SourceReader::Options reader_options;
  reader_options.format_warning_says_ignoring = true;
  reader_options.require_utf8 = options.utf8;
  std::unique_ptr<SourceReader> reader;
  Status status = SourceReader::OpenFile(path, reader_options, &reader);
  // The reader says "open PATH: REASON"; Postfix says "open database PATH: REASON".
  if (status.IsConfigError()) return Status::ConfigError("open database " + status.message().substr(strlen("open ")));
  if (!status.ok()) return status;

  auto memory = std::make_unique<MemoryTable>("texthash", path, options);
  SourceRecord record;
  while (reader->Next(&record)) {
    if (!memory->Contains(record.key)) {
      memory->Put(record.key, record.value);
      continue;
    }
    switch (options.duplicates) {
      case DuplicateMode::kReplace:
        memory->Put(record.key, record.value);
        break;
      case DuplicateMode::kIgnore:
        break;
      case DuplicateMode::kWarn:
        LogWarning(path + ", line " + std::to_string(record.line_number) + ": duplicate entry: \"" +
                   record.key + "\"");
        break;
    }
  }
  *table = std::move(memory);
  return Status::OK();
}

}  // namespace mctable
