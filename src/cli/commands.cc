#include "cli/commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cli/line_reader.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/source_reader.h"

namespace mctable {
namespace {

// Keys handled per round: enough to fill several pipelined chunks, small
// enough that memory stays flat whatever the input size.
constexpr size_t kBatchKeys = 4096;

// stdout through one large buffer; flushed before any fatal message so the
// output a failure leaves behind is exactly what was done.
class Output {
 public:
  Output() { std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16); }
  void Line(std::string_view a) {
    std::fwrite(a.data(), 1, a.size(), stdout);
    std::fputc('\n', stdout);
  }
  void Pair(std::string_view key, std::string_view value) {
    std::fwrite(key.data(), 1, key.size(), stdout);
    std::fputc('\t', stdout);
    std::fwrite(value.data(), 1, value.size(), stdout);
    std::fputc('\n', stdout);
  }
  void Flush() { std::fflush(stdout); }
};

Output output;

[[noreturn]] void Fatal(const std::string& text) {
  output.Flush();
  LogFatal(text);
  std::exit(1);
}

// "type:name", or the default type when none is given (as postmap does).
std::string WithType(const std::string& map) {
  if (map.find(':') != std::string::npos) return map;
  for (const std::string& type : RegisteredTableTypes())
    if (type == "hash") return "hash:" + map;
  return "lmdb:" + map;
}

// The maps of the command line, opened when first needed (postmap opens
// lazily too: a later map's problems do not matter if an earlier one answers).
class Maps {
 public:
  Maps(const std::vector<std::string>& names, OpenOptions options) : options_(std::move(options)) {
    for (const auto& n : names) names_.push_back(WithType(n));
    tables_.resize(names_.size());
  }
  size_t size() const { return names_.size(); }
  Table& Get(size_t i) {
    if (!tables_[i]) {
      Status s = OpenTable(names_[i], options_, &tables_[i]);
      if (!s.ok()) Fatal(s.message());
    }
    return *tables_[i];
  }
  void CloseAll() {
    for (auto& t : tables_) {
      if (!t) continue;
      Status s = t->Close();
      if (!s.ok()) Fatal(s.message());
      t.reset();
    }
  }

 private:
  OpenOptions options_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Table>> tables_;
};

void WarnEmptyValue(const Table& table, std::string_view key) {
  LogWarning("table " + table.full_name() + ": key " + std::string(key) +
             ": empty string result is not allowed");
  LogWarning("table " + table.full_name() + " should return NO RESULT in case of NOT FOUND");
}

// Looks up a batch of keys over the maps in order, as postmap does key by
// key: the first map that has the key answers; a map error is fatal, after
// the keys before it have been printed.  Calls print(i, value) in input order.
template <typename Print>
bool LookupBatch(Maps* maps, const std::vector<std::string>& keys, Print print) {
  const size_t n = keys.size();
  std::vector<LookupResult> final_results(n, LookupResult{Status::NotFound(), {}});
  std::vector<size_t> answered_by(n, 0);
  std::vector<size_t> pending(n);
  for (size_t i = 0; i < n; ++i) pending[i] = i;
  size_t first_error = n;
  std::vector<std::string> pending_keys;
  std::vector<LookupResult> results;
  for (size_t m = 0; m < maps->size() && !pending.empty(); ++m) {
    Table& table = maps->Get(m);
    pending_keys.clear();
    for (size_t i : pending) pending_keys.push_back(keys[i]);
    table.LookupMany(pending_keys, &results);
    std::vector<size_t> still;
    for (size_t j = 0; j < pending.size(); ++j) {
      size_t i = pending[j];
      if (i > first_error) break;  // postmap would have stopped before it
      if (results[j].status.IsNotFound()) {
        still.push_back(i);
        continue;
      }
      final_results[i] = std::move(results[j]);
      answered_by[i] = m;
      if (final_results[i].status.IsError()) first_error = std::min(first_error, i);
    }
    pending = std::move(still);
  }
  bool found = false;
  for (size_t i = 0; i < n; ++i) {
    const LookupResult& r = final_results[i];
    if (r.status.IsError()) {
      Table& table = maps->Get(answered_by[i]);
      Fatal("table " + table.full_name() + ": query error: " + r.status.message());
    }
    if (!r.status.ok()) continue;
    if (r.value.empty()) WarnEmptyValue(maps->Get(answered_by[i]), keys[i]);
    print(i, r.value);
    found = true;
  }
  return found;
}

int Query(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  bool found = false;
  if (options.key != "-") {
    std::vector<std::string> keys{options.key};
    found = LookupBatch(&maps, keys, [&](size_t, const std::string& v) { output.Line(v); });
  } else {
    LineReader reader(STDIN_FILENO);
    std::vector<std::string> keys;
    keys.reserve(kBatchKeys);
    std::string line;
    bool more = true;
    while (more) {
      keys.clear();
      while (keys.size() < kBatchKeys && (more = reader.Next(&line))) keys.push_back(line);
      if (keys.empty()) break;
      if (LookupBatch(&maps, keys, [&](size_t i, const std::string& v) { output.Pair(keys[i], v); }))
        found = true;
    }
    if (reader.error()) Fatal(std::string("read standard input: ") + std::strerror(reader.error()));
  }
  output.Flush();
  return found ? 0 : 1;
}

// Deletes a batch from every map in order; returns whether any was deleted.
bool DeleteBatch(Maps* maps, const std::vector<std::string>& keys) {
  bool deleted = false;
  std::vector<Status> results;
  for (size_t m = 0; m < maps->size(); ++m) {
    Table& table = maps->Get(m);
    table.DeleteMany(keys, &results);
    for (const Status& s : results) {
      if (s.IsError()) Fatal("table " + table.full_name() + ": delete error: " + s.message());
      if (s.ok()) deleted = true;
    }
  }
  return deleted;
}

int Delete(CommandOptions options) {
  options.open.read_write = true;
  Maps maps(options.maps, options.open);
  bool deleted = false;
  if (options.key != "-") {
    deleted = DeleteBatch(&maps, {options.key});
  } else {
    LineReader reader(STDIN_FILENO);
    std::vector<std::string> keys;
    std::string line;
    bool more = true;
    while (more) {
      keys.clear();
      while (keys.size() < kBatchKeys && (more = reader.Next(&line))) keys.push_back(line);
      if (keys.empty()) break;
      if (DeleteBatch(&maps, keys)) deleted = true;
    }
  }
  maps.CloseAll();
  return deleted ? 0 : 1;
}

int Dump(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  for (size_t m = 0; m < maps.size(); ++m) {
    Table& table = maps.Get(m);
    std::string key, value;
    for (Status s = table.Sequence(SequenceOp::kFirst, &key, &value);;
         s = table.Sequence(SequenceOp::kNext, &key, &value)) {
      if (s.IsNotFound()) break;
      if (s.IsError()) Fatal("table " + table.full_name() + ": sequence error: " + s.message());
      output.Pair(key, value);
    }
  }
  output.Flush();
  return 0;
}

// Stores records into one table; returns how many were refused (skipped keys).
size_t StoreRecords(Table* table, SourceReader* reader) {
  size_t refused = 0;
  std::vector<KeyValue> batch;
  std::vector<Status> results;
  SourceRecord record;
  bool more = true;
  while (more) {
    batch.clear();
    while (batch.size() < kBatchKeys && (more = reader->Next(&record)))
      batch.push_back({std::move(record.key), std::move(record.value)});
    if (batch.empty()) break;
    table->UpdateMany(batch, &results);
    for (const Status& s : results) {
      if (s.IsRefused()) {
        ++refused;  // the table has said why
      } else if (s.IsError()) {
        Fatal("table " + table->full_name() + ": update error: " + s.message());
      }
    }
  }
  return refused;
}

int Load(CommandOptions options, bool from_stdin) {
  options.open.read_write = true;
  options.open.create = true;
  options.open.truncate = !from_stdin;
  size_t refused = 0;
  for (const std::string& map : options.maps) {
    std::string type_and_name = WithType(map);
    std::unique_ptr<SourceReader> reader;
    Status s;
    if (from_stdin) {
      s = SourceReader::OpenDescriptor(STDIN_FILENO, "stdin", {}, &reader);
    } else {
      std::string path = type_and_name.substr(type_and_name.find(':') + 1);
      s = SourceReader::OpenFile(path, {}, &reader);
    }
    if (!s.ok()) Fatal(s.message());
    std::unique_ptr<Table> table;
    s = OpenTable(type_and_name, options.open, &table);
    if (!s.ok()) Fatal(s.message());
    refused += StoreRecords(table.get(), reader.get());
    s = table->Close();
    if (!s.ok()) Fatal(s.message());
    if (from_stdin) break;  // stdin is read once, into the first map (as postmap)
  }
  if (refused > 0) {
    LogWarning(std::to_string(refused) + " entries were not stored: see the warnings above");
    return 1;
  }
  return 0;
}

}  // namespace

int RunCommand(const CommandOptions& options) {
  switch (options.mode) {
    case CommandMode::kQuery:
      return Query(options);
    case CommandMode::kDelete:
      return Delete(options);
    case CommandMode::kDump:
      return Dump(options);
    case CommandMode::kLoad:
      return Load(options, true);
    case CommandMode::kBuild:
      return Load(options, false);
  }
  return 1;
}

}  // namespace mctable
