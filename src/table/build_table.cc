// BuildTableFromSource; see build_table.h.
#include "table/build_table.h"

#include <unistd.h>

#include <memory>
#include <string>

namespace mctable {
namespace {

constexpr std::string_view kDefaultDatabaseType = "hash";

std::string WithType(std::string_view type_and_name) {
  if (type_and_name.find(':') != std::string_view::npos) return std::string(type_and_name);
  return std::string(kDefaultDatabaseType) + ":" + std::string(type_and_name);
}

}  // namespace

Status BuildTableFromReader(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, SourceReader* reader) {
  std::string full_name = WithType(type_and_name);
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
  SourceRecord record;
  while (reader->Next(&record)) {
    status = table->Update(record.key, record.value);
    if (!status.ok()) return status;  // destroying the table abandons the build
  }
  return table->Close();
}

Status BuildTableFromSource(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental) {
  std::string full_name = WithType(type_and_name);
  std::unique_ptr<SourceReader> reader;
  Status status = incremental
                      ? SourceReader::OpenDescriptor(STDIN_FILENO, "stdin", {}, &reader)
                      : SourceReader::OpenFile(full_name.substr(full_name.find(':') + 1), {}, &reader);
  if (!status.ok()) return status;
  return BuildTableFromReader(full_name, options, incremental, reader.get());
}

}  // namespace mctable
