// mctable's commands; see commands.h.
#include "cli/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "cli/privileges.h"
#include "cli/signals.h"
#include "common/interrupt.h"
#include "common/line_reader.h"
#include "common/lookup_metrics.h"
#include "config/postfix_settings.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/build_table.h"

namespace mctable {
namespace {

// Keys handled per round: enough to fill several pipelined chunks, small
// enough that memory stays flat whatever the input size.
constexpr size_t kBatchKeys = 4096;

[[noreturn]] void Fatal(const std::string& text);

// stdout through one large buffer; flushed before any fatal message so the
// output a failure leaves behind is exactly what was done.  Output that
// cannot be written (a full disk, /dev/full, a closed descriptor) is fatal:
// "write standard output: REASON", exit 1.  postmap ignores such errors and
// exits 0; a caller that saves the output must not take a cut-off result
// for the whole one.
class Output {
 public:
  Output() { std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16); }
  void Line(std::string_view a) {
    Write(a);
    Write("\n");
  }
  void Pair(std::string_view key, std::string_view value) {
    Write(key);
    Write("\t");
    Write(value);
    Write("\n");
  }
  void Flush() {
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) Failed(errno);
  }
  // Before a fatal message: whatever can still be written is.
  void FlushIgnoringErrors() {
    if (!failed_) std::fflush(stdout);
  }

 private:
  void Write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) Failed(errno);
  }
  [[noreturn]] void Failed(int err) {
    failed_ = true;
    Fatal(std::string("write standard output: ") + std::strerror(err != 0 ? err : EIO));
  }

  bool failed_ = false;
};

Output output;

// A failure that ends the command.  Fatal() throws it and RunCommand()
// reports it once the stack is unwound, so that every table on it has
// been closed (synced) and every unfinished build removed: exit() would
// skip those destructors.  It never leaves this file.
struct CommandFailure {
  std::string message;
};

[[noreturn]] void Fatal(const std::string& text) { throw CommandFailure{text}; }

// How far the command got, for the report of an interrupted run.
std::string progress;


// The maps of the command line, opened when first needed (postmap opens
// lazily too: a later map's problems do not matter if an earlier one answers).
class Maps {
 public:
  // `names` are "type:name" (RunCommand has added the default type).
  Maps(const std::vector<std::string>& names, OpenOptions options)
      : options_(std::move(options)), names_(names) {
    tables_.resize(names_.size());
    metrics_.resize(names_.size());
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
  LookupMetrics& metrics(size_t i) { return metrics_[i]; }
  // --stats: mctabled's figures for each map that was opened, on stderr.
  void LogStats() {
    for (size_t i = 0; i < tables_.size(); ++i) {
      if (!tables_[i]) continue;
      TableCounters counters = tables_[i]->counters();
      metrics_[i].AddBackupFills(counters.cache_fills);
      metrics_[i].AddReplicaWork(counters.replica_failovers, counters.read_repairs,
                                 counters.writes_missed_copy);
      LogInfo(metrics_[i].Format(names_[i]));
    }
  }
  void CloseAll() {
    for (auto& t : tables_) {
      if (!t) continue;
      Status s = t->Close();
      t.reset();
      if (!s.ok()) Fatal(s.message());
    }
  }
  // On the way out of a failure: close what is still open, keep going.
  ~Maps() {
    for (auto& t : tables_) {
      if (!t) continue;
      Status s = t->Close();
      if (!s.ok()) LogWarning(s.message());
    }
  }

 private:
  OpenOptions options_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<LookupMetrics> metrics_;
};

// Counts a batch's answers; each key's latency is the batch call's time.
void RecordBatch(LookupMetrics* metrics, std::chrono::steady_clock::time_point start,
                 const std::vector<LookupResult>& results) {
  auto elapsed = std::chrono::steady_clock::now() - start;
  auto us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  for (const LookupResult& r : results)
    metrics->Record(r.status.ok()           ? LookupMetrics::Outcome::kHit
                    : r.status.IsNotFound() ? LookupMetrics::Outcome::kMiss
                                            : LookupMetrics::Outcome::kError,
                    us);
}

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
  // A stop signal ends the input between batches (or a blocked read).
  while (InterruptSignal() == 0) {
    size_t count = 0;
    while (count < kBatchKeys && reader.Next(&buffer[count])) ++count;
    if (InterruptSignal() != 0) break;  // the batch may be cut short: leave it
    if (count > 0) fn(std::span<const std::string>(buffer.data(), count));
    if (count < kBatchKeys) break;
  }
  if (reader.error() && InterruptSignal() == 0)
    Fatal(std::string("read standard input: ") + std::strerror(reader.error()));
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
      auto start = std::chrono::steady_clock::now();
      if (m == 0) {
        table.LookupMany(keys, &results_);
      } else {
        pending_keys_.resize(pending_.size());
        for (size_t j = 0; j < pending_.size(); ++j) pending_keys_[j] = keys[pending_[j]];
        table.LookupMany(pending_keys_, &results_);
      }
      RecordBatch(&maps_->metrics(m), start, results_);
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
    size_t done = 0;
    ForEachStdinBatch([&](std::span<const std::string> keys) {
      if (lookup.Run(keys, [&](size_t i, const std::string& v) { output.Pair(keys[i], v); }))
        found = true;
      done += keys.size();
      progress = std::to_string(done) + " keys from stdin were looked up; the rest of the input was not read";
    });
  }
  output.Flush();
  if (options.print_stats) maps.LogStats();
  return found ? 0 : 1;
}

// Deletes a batch from every map in order; returns how many deletions
// were made.
size_t DeleteBatch(Maps* maps, std::span<const std::string> keys) {
  size_t deleted = 0;
  std::vector<Status> results;
  for (size_t m = 0; m < maps->size(); ++m) {
    Table& table = maps->Get(m);
    table.DeleteMany(keys, &results);
    for (const Status& s : results) {
      if (s.IsError()) Fatal("table " + table.full_name() + ": delete error: " + s.message());
      if (s.ok()) ++deleted;
    }
  }
  return deleted;
}

int Delete(CommandOptions options) {
  options.open.read_write = true;
  Maps maps(options.maps, options.open);
  bool deleted = false;
  if (options.key != "-") {
    deleted = DeleteBatch(&maps, std::span<const std::string>(&options.key, 1)) > 0;
  } else {
    size_t done = 0, removed = 0;
    ForEachStdinBatch([&](std::span<const std::string> keys) {
      removed += DeleteBatch(&maps, keys);
      done += keys.size();
      progress = std::to_string(done) + " keys from stdin were processed (" + std::to_string(removed) +
                 " entries deleted); the rest of the input was not read";
    });
    deleted = removed > 0;
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

// Closes a descriptor on every way out.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// postmap's build (from_stdin false) and -i (true) modes.  As postmap: the
// source (or standard input) is opened first, then its stat gives the mode
// of a new table and, for root, the user to run as.  Entries skipped by -i
// (malformed lines, entries the table refuses) are each warned, counted in
// a summary and make the exit status 1; a build from a source file treats
// malformed lines as postmap does (a warning, exit 0).
int Load(const CommandOptions& options, bool from_stdin) {
  bool skipped_any = false;
  for (const std::string& map : options.maps) {
    if (InterruptSignal() != 0) break;  // the tables before this one are done
    const std::string& full_name = map;  // "type:name" (RunCommand added the default type)
    const std::string path = full_name.substr(full_name.find(':') + 1);
    const std::string label = from_stdin ? "stdin" : path;
    if (Status s = CheckBuildableBeforeSource(full_name, from_stdin); !s.ok()) Fatal(s.message());
    int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Fatal("open " + path + ": " + std::strerror(errno));
    FdCloser closer(from_stdin ? -1 : fd);
    struct stat st;
    if (fstat(fd, &st) != 0) Fatal("fstat " + label + ": " + std::strerror(errno));
    OpenOptions open = options.open;
    open.new_file_mode = InheritedTableMode(st, options.inherit_mode);
    if (options.as_source_owner) {
      Status s = RunAsSourceOwner(st);
      if (!s.ok()) Fatal(s.message());
    }
    std::unique_ptr<SourceReader> reader;
    Status s = SourceReader::OpenDescriptor(fd, label, SourceReaderOptionsFor(options.open), &reader);
    if (!s.ok()) Fatal(s.message());
    BuildReport report;
    progress = from_stdin ? "nothing from stdin was stored in " + full_name
                          : full_name + " was not changed";
    s = BuildTableFromReader(full_name, open, from_stdin, reader.get(), &report);
    if (from_stdin && report.stored_kept) {
      progress = std::to_string(report.stored) + " entries from stdin were stored in " + full_name +
                 (report.stored > 0 ? " (through input line " + std::to_string(report.last_line) + ")" : "") +
                 "; the rest of the input was not stored";
    } else if (from_stdin) {
      progress = full_name + " is as it was: the " + std::to_string(report.stored) +
                 " entries from stdin stored before the error were discarded with it";
    } else if (s.ok()) {
      progress = full_name + " was rebuilt before the signal took effect";
    }
    if (!s.ok()) Fatal(from_stdin && InterruptSignal() == 0 ? s.message() + " (" + progress + ")" : s.message());
    size_t skipped = report.refused + (from_stdin ? report.malformed : 0);
    if (skipped > 0) {
      LogWarning(full_name + ": " + std::to_string(skipped) + " of " +
                 std::to_string(report.stored + report.refused + report.malformed) + " entries from " +
                 label + " were not stored: see the warnings above");
      skipped_any = true;
    }
    if (from_stdin) break;  // standard input is read once, into the first map
  }
  return skipped_any ? 1 : 0;
}

int Dispatch(const CommandOptions& options) {
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

}  // namespace

int RunCommand(const CommandOptions& given) {
  InstallSignalHandlers();
  progress = "nothing was changed";
  int status = 1;
  std::string failure;
  try {
    // What postmap takes from main.cf: the type of a bare table name, and
    // whether keys are UTF-8 (postfix_settings.h).  With -c the file must
    // exist, as in postmap; without, a host with no main.cf gets Postfix's
    // defaults.
    CommandOptions options = given;
    PostfixSettings settings;
    Status s = ReadPostfixSettings(options.open.config_dir, options.config_dir_given, &settings);
    if (!s.ok()) Fatal(s.message());
    options.open.utf8 = settings.smtputf8_enable;
    for (std::string& map : options.maps)
      map = WithDefaultTableType(map, settings.default_database_type);
    status = Dispatch(options);
    output.Flush();
  } catch (const CommandFailure& f) {
    failure = f.message;
    output.FlushIgnoringErrors();  // what was done is shown before the message
  }
  if (int signal_number = InterruptSignal()) {
    LogFatal("interrupted by " + SignalName(signal_number) + ": " + progress);
    DieBySignal(signal_number);
  }
  if (!failure.empty()) {
    LogFatal(failure);
    return 1;
  }
  return status;
}

}  // namespace mctable
