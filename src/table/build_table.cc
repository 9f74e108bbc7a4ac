// BuildTableFromSource; see build_table.h.
#include "table/build_table.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "mctable/table_registry.h"

namespace mctable {
Status BuildTableFromReader(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, SourceReader* reader, size_t* refused) {
  std::string full_name = WithDefaultTableType(type_and_name);
  std::string type = full_name.substr(0, full_name.find(':'));
  OpenOptions build_options = options;
  build_options.read_write = true;
  build_options.create = true;
  build_options.truncate = !incremental;
  std::unique_ptr<Table> table;
  Status status = OpenTable(full_name, build_options, &table);
  // Read-only types refuse writing; postmap words it as below.
  if (status.IsRefused()) return Status::ConfigError("unsupported map type for this operation: " + type);
  if (!status.ok()) return status;
  // As many records per UpdateMany call as the table can pipeline: one for
  // file types, so their warnings stay in line order with the reader's.
  const size_t batch_size = table->preferred_batch_size();
  std::vector<KeyValue> batch;
  std::vector<Status> results;
  SourceRecord record;
  bool more = true;
  while (more) {
    batch.clear();
    while (batch.size() < batch_size && (more = reader->Next(&record)))
      batch.push_back({std::move(record.key), std::move(record.value)});
    // A read error: the input is incomplete, so the build must not succeed.
    if (!more && !reader->status().ok()) return reader->status();
    table->UpdateMany(batch, &results);
    for (const Status& s : results) {
      if (s.IsRefused()) {
        if (refused) ++*refused;
      } else if (s.IsError()) {
        return s;  // destroying the table abandons the build
      }
    }
  }
  return table->Close();
}

Status BuildTableFromSource(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, size_t* refused) {
  std::string full_name = WithDefaultTableType(type_and_name);
  // proxymap has no request that empties a table: postmap refuses before
  // it looks for the source file, and so do we.
  if (!incremental && full_name.compare(0, 6, "proxy:") == 0)
    return Status::ConfigError("can't create maps via the proxy service");
  std::unique_ptr<SourceReader> reader;
  Status status = incremental
                      ? SourceReader::OpenDescriptor(STDIN_FILENO, "stdin", {}, &reader)
                      : SourceReader::OpenFile(full_name.substr(full_name.find(':') + 1), {}, &reader);
  if (!status.ok()) return status;
  return BuildTableFromReader(full_name, options, incremental, reader.get(), refused);
}

}  // namespace mctable
