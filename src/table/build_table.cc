// BuildTableFromSource; see build_table.h.
#include "table/build_table.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "common/held_log.h"
#include "common/interrupt.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"

namespace mctable {
namespace {

Status WriteError(const std::string& full_name, const Status& cause) {
  if (cause.message().find(full_name) != std::string::npos) return cause;
  return Status::TempError("table " + full_name + ": write error: " + cause.message());
}

}  // namespace

Status BuildTableFromReader(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, SourceReader* reader, BuildReport* report) {
  BuildReport own_report;
  if (report == nullptr) report = &own_report;
  std::string full_name = WithDefaultTableType(type_and_name);
  std::string type = full_name.substr(0, full_name.find(':'));
  OpenOptions build_options = options;
  build_options.read_write = true;
  build_options.create = true;
  build_options.truncate = !incremental;
  build_options.bulk_update = incremental;
  // -i says which input line an entry the table refuses came from.
  build_options.caller_logs_refusals = incremental;
  std::unique_ptr<Table> table;
  Status status = OpenTable(full_name, build_options, &table);
  // Read-only types refuse writing; postmap words it as below.
  if (status.IsRefused()) return Status::ConfigError("unsupported map type for this operation: " + type);
  if (!status.ok()) return status;
  // As many records per UpdateMany call as the table can pipeline: one for
  // file types, so their warnings stay in line order with the reader's.
  const size_t batch_size = table->preferred_batch_size();
  // A failed load leaves hash and btree as they were (bulk_update saves
  // the file first and puts it back); lmdb and memcache have written each
  // entry as it came.
  const bool rolls_back = incremental && (type == "hash" || type == "btree");
  std::vector<KeyValue> batch;
  std::vector<int> lines;
  std::vector<Status> results;
  SourceRecord record;
  bool more = true;
  // The reader's warnings (a malformed line) are held while a batch is
  // read, and the batch ends before the line they are about: the table
  // writes the entries before it (with its own warnings) first.  Warnings
  // then come in source order whatever the batch size.
  HeldLog reader_warnings;
  bool carried = false;  // `record` was read after held warnings: next batch
  while (more) {
    batch.clear();
    lines.clear();
    reader_warnings.Release();
    if (carried) {
      batch.push_back({std::move(record.key), std::move(record.value)});
      lines.push_back(record.line_number);
      carried = false;
    }
    while (batch.size() < batch_size) {
      reader_warnings.Hold();
      more = reader->Next(&record);
      reader_warnings.StopHolding();
      if (!reader_warnings.empty() && !batch.empty()) {
        carried = more;
        break;
      }
      reader_warnings.Release();
      if (!more) break;
      batch.push_back({std::move(record.key), std::move(record.value)});
      lines.push_back(record.line_number);
    }
    // Between batches: the only point where stopping leaves nothing half
    // done.  A batch read after the signal is not written.  A rebuild is
    // abandoned; what a load stored so far is kept (closed and synced).
    if (int signal = InterruptSignal()) {
      Status interrupted = Status::TempError("interrupted by signal " + std::to_string(signal));
      if (!incremental) return interrupted;
      status = table->Close();
      return status.ok() ? interrupted : WriteError(full_name, status);
    }
    report->malformed = reader->skipped();
    // A read error: the input is incomplete, so the build must not succeed.
    if (!more && !reader->status().ok()) {
      report->stored_kept = !rolls_back;  // the table is dropped unclosed below
      return reader->status();
    }
    if (batch.empty()) break;
    table->UpdateMany(batch, &results);
    for (size_t i = 0; i < results.size(); ++i) {
      const Status& s = results[i];
      if (s.IsRefused()) {
        if (incremental) LogWarning(reader->label() + ", line " + std::to_string(lines[i]) + ": " + s.message());
        ++report->refused;
      } else if (s.IsError()) {
        report->stored_kept = !rolls_back;
        return WriteError(full_name, s);  // destroying the table abandons it
      } else {
        ++report->stored;
        report->last_line = lines[i];
      }
    }
    if (report->after_batch) report->after_batch(*report);
  }
  reader_warnings.Release();
  status = table->Close();
  if (status.ok()) return status;
  report->stored_kept = !rolls_back;
  return WriteError(full_name, status);
}

SourceReader::Options SourceReaderOptionsFor(const OpenOptions& options) {
  SourceReader::Options reader_options;
  reader_options.require_utf8 = options.utf8;
  return reader_options;
}

Status CheckBuildableBeforeSource(std::string_view type_and_name, bool incremental) {
  // proxymap has no request that empties a table: postmap refuses before
  // it looks for the source file, and so do we.
  if (!incremental && type_and_name.starts_with("proxy:"))
    return Status::ConfigError("can't create maps via the proxy service");
  return Status::OK();
}

Status BuildTableFromSource(std::string_view type_and_name, const OpenOptions& options,
                            bool incremental, BuildReport* report) {
  std::string full_name = WithDefaultTableType(type_and_name);
  Status buildable = CheckBuildableBeforeSource(full_name, incremental);
  if (!buildable.ok()) return buildable;
  if (incremental) {
    std::unique_ptr<SourceReader> reader;
    Status status =
        SourceReader::OpenDescriptor(STDIN_FILENO, "stdin", SourceReaderOptionsFor(options), &reader);
    if (!status.ok()) return status;
    return BuildTableFromReader(full_name, options, incremental, reader.get(), report);
  }
  std::string path = full_name.substr(full_name.find(':') + 1);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::ConfigError("open " + path + ": " + strerror(errno));
  std::unique_ptr<SourceReader> reader;
  Status status = SourceReader::OpenDescriptor(fd, path, SourceReaderOptionsFor(options), &reader);
  if (status.ok()) status = BuildTableFromReader(full_name, options, incremental, reader.get(), report);
  ::close(fd);
  return status;
}

}  // namespace mctable
