#include "cli/commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "cli/line_reader.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/build_table.h"

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


// The maps of the command line, opened when first needed (postmap opens
// lazily too: a later map's problems do not matter if an earlier one answers).
class Maps {
 public:
  Maps(const std::vector<std::string>& names, OpenOptions options) : options_(std::move(options)) {
    for (const auto& n : names) names_.push_back(WithDefaultTableType(n));
    tables_.resize(names_.size());
  }
  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
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

// Reads keys from stdin, one per line, and calls fn(keys) per batch of up
// to kBatchKeys.  The strings are reused from batch to batch: no allocation
// per key, and memory does not grow with the input.
template <typename Fn>
void ForEachStdinBatch(Fn fn) {
  LineReader reader(STDIN_FILENO);
  std::vector<std::string> buffer(kBatchKeys);
  for (;;) {
    size_t count = 0;
    while (count < kBatchKeys && reader.Next(&buffer[count])) ++count;
    if (count > 0) fn(std::span<const std::string>(buffer.data(), count));
    if (count < kBatchKeys) break;
  }
  if (reader.error()) Fatal(std::string("read standard input: ") + std::strerror(reader.error()));
}

// Looks up batches of keys over the maps in order, with the results postmap
// gets key by key: the first map that has the key answers; a map error is
// fatal, after the keys before it have been printed.  Its vectors live from
// one batch to the next so that a long job does not allocate per batch.
class BatchLookup {
 public:
  explicit BatchLookup(Maps* maps) : maps_(maps) {}

  // Calls print(i, value) for each key found, in input order; returns
  // whether any key was found.
  template <typename Print>
  bool Run(std::span<const std::string> keys, Print print) {
    const size_t n = keys.size();
    final_.resize(n);
    for (LookupResult& r : final_) r.status = Status::NotFound();
    answered_by_.assign(n, 0);
    pending_.resize(n);
    for (size_t i = 0; i < n; ++i) pending_[i] = i;
    size_t first_error = n;
    for (size_t m = 0; m < maps_->size() && !pending_.empty(); ++m) {
      Table& table = maps_->Get(m);
      if (m == 0) {
        table.LookupMany(keys, &results_);
      } else {
        pending_keys_.resize(pending_.size());
        for (size_t j = 0; j < pending_.size(); ++j) pending_keys_[j] = keys[pending_[j]];
        table.LookupMany(pending_keys_, &results_);
      }
      still_pending_.clear();
      for (size_t j = 0; j < pending_.size(); ++j) {
        size_t i = pending_[j];
        if (i > first_error) break;  // postmap would have stopped before it
        if (results_[j].status.IsNotFound()) {
          still_pending_.push_back(i);
          continue;
        }
        std::swap(final_[i], results_[j]);
        answered_by_[i] = m;
        if (final_[i].status.IsError()) first_error = std::min(first_error, i);
      }
      pending_.swap(still_pending_);
    }
    bool found = false;
    for (size_t i = 0; i < n; ++i) {
      const LookupResult& r = final_[i];
      if (r.status.IsError()) {
        Table& table = maps_->Get(answered_by_[i]);
        Fatal("table " + table.full_name() + ": query error: " + r.status.message());
      }
      if (!r.status.ok()) continue;
      if (r.value.empty()) WarnEmptyValue(maps_->Get(answered_by_[i]), keys[i]);
      print(i, r.value);
      found = true;
    }
    return found;
  }

 private:
  Maps* maps_;
  std::vector<LookupResult> final_, results_;
  std::vector<size_t> answered_by_, pending_, still_pending_;
  std::vector<std::string> pending_keys_;
};

int Query(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  BatchLookup lookup(&maps);
  bool found = false;
  if (options.key != "-") {
    std::vector<std::string> keys{options.key};
    found = lookup.Run(keys, [&](size_t, const std::string& v) { output.Line(v); });
  } else {
    ForEachStdinBatch([&](std::span<const std::string> keys) {
      if (lookup.Run(keys, [&](size_t i, const std::string& v) { output.Pair(keys[i], v); }))
        found = true;
    });
  }
  output.Flush();
  return found ? 0 : 1;
}

// Deletes a batch from every map in order; returns whether any was deleted.
bool DeleteBatch(Maps* maps, std::span<const std::string> keys) {
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
    deleted = DeleteBatch(&maps, std::span<const std::string>(&options.key, 1));
  } else {
    ForEachStdinBatch([&](std::span<const std::string> keys) {
      if (DeleteBatch(&maps, keys)) deleted = true;
    });
  }
  maps.CloseAll();
  return deleted ? 0 : 1;
}

int Dump(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  for (size_t m = 0; m < maps.size(); ++m) {
    // postmap's refusal: a walk through proxymap uses a cursor that all
    // clients of the server process share (docs/postfix-differences.md).
    if (maps.name(m).compare(0, 6, "proxy:") == 0) Fatal("can't sequence maps via the proxy service");
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

// postmap's build (from_stdin false) and -i (true) modes.
int Load(const CommandOptions& options, bool from_stdin) {
  size_t refused = 0;
  for (const std::string& map : options.maps) {
    Status s = BuildTableFromSource(map, options.open, from_stdin, &refused);
    if (!s.ok()) Fatal(s.message());
    if (from_stdin) break;  // standard input is read once, into the first map
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
