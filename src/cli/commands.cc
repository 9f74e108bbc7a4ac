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
#include <ctime>
#include <memory>
#include <span>

#include "cli/privileges.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "common/interrupt.h"
#include "common/line_reader.h"
#include "common/lookup_metrics.h"
#include "config/postfix_settings.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/build_table.h"
#include "table/cache_expiry.h"
#include "table/cache_maintenance.h"
#include "config/main_cf.h"

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

// "table TYPE:NAME: WHAT error: REASON", naming the table once: a reason
// that starts with the table's name already (the SQL types' "pgsql:X.cf:
// connect to ...") loses that start.
std::string TableError(const Table& table, std::string_view what, const Status& status) {
  std::string_view reason = status.message();
  const std::string named = table.full_name() + ": ";
  if (reason.starts_with(named)) reason.remove_prefix(named.size());
  return "table " + table.full_name() + ": " + std::string(what) + " error: " + std::string(reason);
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
        Fatal(TableError(table, "query", r.status));
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
      if (s.IsError()) Fatal(TableError(table, "delete", s));
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
      if (s.IsError()) Fatal(TableError(table, "sequence", s));
      output.Pair(key, value);
    }
  }
  output.Flush();
  return 0;
}

// --warm and --audit: walk the backup of a memcache table (its Sequence)
// in batches, or with --keys-from-stdin look the keys read from stdin up
// in the backup (SQL backups cannot be walked), and fill or compare each
// batch through the table's own cache path (table/cache_maintenance.h).  A stop signal ends the walk between
// batches: the batch in progress is finished first, so nothing read from
// the backup is half-handled, and the progress report says how far it got.
class CacheWalk {
 public:
  CacheWalk(Maps* maps, const char* what, bool keys_from_stdin)
      : maps_(maps), what_(what), keys_from_stdin_(keys_from_stdin) {
    if (maps_->size() != 1) Fatal(std::string(what_) + " takes exactly one memcache table");
    table_ = &maps_->Get(0);
    cache_ = AsCacheMaintenance(table_);
    if (cache_ == nullptr)
      Fatal("table " + table_->full_name() + ": " + what_ + " needs a memcache table with a backup");
  }
  Table& table() { return *table_; }
  CacheMaintenance& cache() { return *cache_; }

  // Calls fn(entries) per batch of up to kBatchKeys backup entries, until
  // the walk ends or a stop signal arrives; returns how many were walked.
  template <typename Fn>
  size_t Run(Fn fn) {
    Progress display(std::string(what_) + " " + table_->full_name());
    if (keys_from_stdin_) return RunOnStdinKeys(fn, &display);
    std::vector<KeyValue> batch(kBatchKeys);
    size_t walked = 0;
    SequenceOp op = SequenceOp::kFirst;
    bool more = true;
    while (more && InterruptSignal() == 0) {
      size_t count = 0;
      while (count < kBatchKeys) {
        Status s = table_->Sequence(op, &batch[count].key, &batch[count].value);
        op = SequenceOp::kNext;
        if (s.IsNotFound()) {
          more = false;
          break;
        }
        if (!s.ok()) Fatal("table " + table_->full_name() + ": " + what_ + ": walk the backup: " + s.message());
        ++count;
      }
      if (count == 0) break;
      fn(std::span<const KeyValue>(batch.data(), count));
      walked += count;
      display.Update(walked);
    }
    return walked;
  }
  // "N backup entries", and with --keys-from-stdin the keys the backup lacked.
  std::string Summary(size_t walked) const {
    return std::to_string(walked) + " backup entries" +
           (keys_from_stdin_ ? " (" + std::to_string(not_in_backup_) + " keys from stdin not in the backup)"
                             : std::string());
  }

 private:
  template <typename Fn>
  size_t RunOnStdinKeys(Fn fn, Progress* display) {
    std::vector<LookupResult> found;
    std::vector<KeyValue> batch;
    size_t walked = 0;
    ForEachStdinBatch([&](std::span<const std::string> keys) {
      cache_->LookupBackupMany(keys, &found);
      batch.clear();
      for (size_t i = 0; i < keys.size(); ++i) {
        if (found[i].status.ok()) {
          batch.push_back({keys[i], std::move(found[i].value)});
        } else if (found[i].status.IsNotFound()) {
          ++not_in_backup_;
        } else {
          Fatal("table " + table_->full_name() + ": " + what_ + ": backup lookup of \"" + keys[i] +
                "\": " + found[i].status.message());
        }
      }
      if (!batch.empty()) fn(std::span<const KeyValue>(batch));
      walked += batch.size();
      display->Update(walked);
    });
    return walked;
  }

  Maps* maps_;
  const char* what_;
  bool keys_from_stdin_;
  size_t not_in_backup_ = 0;
  Table* table_ = nullptr;
  CacheMaintenance* cache_ = nullptr;
};

// Failed keys are named one warning each, up to this many; the rest are
// counted (a server down would otherwise print the whole table).
constexpr size_t kNamedFailures = 100;

int Warm(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  CacheWalk walk(&maps, "--warm", options.keys_from_stdin);
  const std::string name = walk.table().full_name();
  size_t stored = 0, skipped = 0, too_long = 0, failed = 0;
  std::vector<Status> results;
  size_t walked = walk.Run([&](std::span<const KeyValue> entries) {
    walk.cache().FillMany(entries, &results);
    for (size_t i = 0; i < entries.size(); ++i) {
      const Status& s = results[i];
      if (s.ok()) {
        ++stored;
      } else if (s.IsNotFound()) {
        ++skipped;
      } else if (s.IsRefused()) {
        ++too_long;
      } else {
        if (failed++ < kNamedFailures)
          LogWarning("table " + name + ": --warm: key \"" + entries[i].key + "\" was not stored: " + s.message());
      }
    }
    progress = std::to_string(stored) + " of the " + std::to_string(stored + skipped + too_long + failed) +
               " backup entries walked so far were stored in memcached (through key \"" +
               entries.back().key + "\"); the rest was not handled";
  });
  if (failed > kNamedFailures)
    LogWarning("table " + name + ": --warm: " + std::to_string(failed - kNamedFailures) +
               " more keys were not stored");
  if (InterruptSignal() != 0) return 1;  // RunCommand says how far it got
  LogInfo(name + ": --warm: " + walk.Summary(walked) + ": " + std::to_string(stored) +
          " stored, " + std::to_string(skipped) + " skipped (keys a lookup does not cache), " +
          std::to_string(too_long) + " over data_size_limit, " + std::to_string(failed) + " failed");
  return failed > 0 ? 1 : 0;
}

int Audit(const CommandOptions& options) {
  Maps maps(options.maps, options.open);
  CacheWalk walk(&maps, "--audit", options.keys_from_stdin);
  const std::string name = walk.table().full_name();
  using Verdict = CacheMaintenance::Verdict;
  size_t same = 0, missing = 0, stale = 0, unreadable = 0, skipped = 0, repaired = 0;
  std::vector<CacheMaintenance::Comparison> results;
  std::vector<KeyValue> to_repair;
  std::vector<Status> repair_results;
  size_t walked = walk.Run([&](std::span<const KeyValue> entries) {
    walk.cache().CompareMany(entries, &results);
    to_repair.clear();
    for (size_t i = 0; i < entries.size(); ++i) {
      const CacheMaintenance::Comparison& c = results[i];
      switch (c.verdict) {
        case Verdict::kSame: ++same; break;
        case Verdict::kMissing: ++missing; break;
        case Verdict::kSkipped: ++skipped; break;
        case Verdict::kStale:
          ++stale;
          output.Line(entries[i].key + "\t" + c.cached + "\t" + entries[i].value);
          if (options.repair) to_repair.push_back(entries[i]);
          break;
        case Verdict::kUnreadable:
          if (unreadable++ < kNamedFailures)
            LogWarning("table " + name + ": --audit: key \"" + entries[i].key + "\": " + c.why.message());
          break;
      }
    }
    if (!to_repair.empty()) {
      walk.cache().FillMany(to_repair, &repair_results);
      for (size_t j = 0; j < to_repair.size(); ++j) {
        if (repair_results[j].ok()) {
          ++repaired;
        } else {
          LogWarning("table " + name + ": --repair: key \"" + to_repair[j].key +
                     "\" was not rewritten: " + repair_results[j].message());
        }
      }
    }
    progress = std::to_string(same + missing + stale + unreadable + skipped) +
               " backup entries were compared (through key \"" + entries.back().key + "\"), " +
               std::to_string(stale) + " stale" +
               (options.repair ? ", " + std::to_string(repaired) + " repaired" : std::string()) +
               "; the rest was not handled";
  });
  output.Flush();
  if (unreadable > kNamedFailures)
    LogWarning("table " + name + ": --audit: " + std::to_string(unreadable - kNamedFailures) +
               " more keys could not be read");
  if (InterruptSignal() != 0) return 1;  // RunCommand says how far it got
  LogInfo(name + ": --audit: " + walk.Summary(walked) + ": " + std::to_string(same) +
          " same, " + std::to_string(missing) + " missing, " + std::to_string(stale) + " stale, " +
          std::to_string(unreadable) + " unreadable, " + std::to_string(skipped) +
          " skipped (keys a lookup does not cache)" +
          (options.repair ? ", " + std::to_string(repaired) + " repaired" : std::string()));
  return stale > 0 || unreadable > 0 ? 1 : 0;
}

// --expire postscreen|verify: Postfix's own cache cleanup (its
// dict_cache cleanup loop with postscreen's or verify's validator), run
// once from the command line over a memcache table's backup or a plain
// file table.  The walk decides first and deletes afterwards, so that no
// table's cursor has to survive deletions under it; only the expired keys
// are kept in memory.  Deleting through the memcache table removes the
// entry from the backup and from memcached.  The completion stamp is
// written, as Postfix writes it, only after a full run: a walk or delete
// that fails or is interrupted leaves the previous stamp, and a Postfix
// instance that still cleans the cache runs its next cleanup on time.
int Expire(CommandOptions options) {
  CacheKind kind = CacheKind::kVerify;
  if (!ParseCacheKind(options.expire_kind, &kind))
    Fatal("--expire: unknown cache \"" + options.expire_kind + "\": specify postscreen or verify");
  if (options.maps.size() != 1) Fatal("--expire takes exactly one table");
  // The decision needs main.cf's parameters; without -c, a host with no
  // main.cf gets Postfix's defaults.
  CacheExpiry expiry;
  {
    MainCf main_cf;
    std::string path = options.open.config_dir + "/main.cf";
    struct stat st;
    if (options.config_dir_given || ::stat(path.c_str(), &st) == 0) {
      Status s = MainCf::Read(options.open.config_dir, &main_cf);
      if (!s.ok()) Fatal(s.message());
    }
    Status s = ReadCacheExpiry(main_cf, kind, &expiry);
    if (!s.ok()) Fatal(s.message());
  }
  // postscreen and verify never fold their keys: the walk gives the keys
  // as stored, and they are deleted as given.
  options.open.read_write = true;
  options.open.fold_keys = false;
  Maps maps(options.maps, options.open);
  if (maps.name(0).compare(0, 6, "proxy:") == 0) Fatal("can't sequence maps via the proxy service");
  Table& table = maps.Get(0);
  const std::string name = table.full_name();
  const std::string what = "--expire " + options.expire_kind;
  // A memcache table alone cannot be walked: its entries would expire by
  // their ttl, and a stamp written there would clean nothing.
  if (CacheMaintenance* cache = AsCacheMaintenance(&table); cache != nullptr && !cache->has_backup())
    Fatal("table " + name + ": " + what + " needs a memcache table with a backup, or a file table");

  const int64_t now = static_cast<int64_t>(::time(nullptr));
  std::vector<std::string> expired;
  size_t kept = 0;
  {
    Progress display(what + " " + name);
    std::string key, value;
    size_t walked = 0;
    for (Status s = table.Sequence(SequenceOp::kFirst, &key, &value);;
         s = table.Sequence(SequenceOp::kNext, &key, &value)) {
      if (s.IsNotFound()) break;
      if (!s.ok()) Fatal("table " + name + ": " + what + ": walk the table: " + s.message());
      if (key == kCacheCleanupStampKey) continue;  // Postfix's walk skips it too
      if (expiry.Keep(value, now)) {
        ++kept;
      } else {
        expired.push_back(key);
      }
      if (++walked % kBatchKeys == 0) {
        display.Update(walked);
        progress = std::to_string(walked) + " entries of " + name +
                   " were examined; nothing was deleted, and the rest was not walked";
        if (InterruptSignal() != 0) return 1;  // RunCommand says how far it got
      }
    }
  }
  size_t deleted = 0, gone = 0;
  std::vector<Status> results;
  for (size_t at = 0; at < expired.size(); at += kBatchKeys) {
    if (InterruptSignal() != 0) return 1;
    std::span<const std::string> keys(expired.data() + at, std::min(kBatchKeys, expired.size() - at));
    table.DeleteMany(keys, &results);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (results[i].ok()) {
        ++deleted;
      } else if (results[i].IsNotFound()) {
        ++gone;  // deleted by someone else since the walk
      } else {
        Fatal("table " + name + ": " + what + ": delete \"" + keys[i] + "\": " + results[i].message() + " (" +
              std::to_string(deleted) + " expired entries were deleted before it)");
      }
    }
    progress = std::to_string(deleted) + " of the " + std::to_string(expired.size()) + " expired entries of " +
               name + " were deleted; the cleanup stamp was not written";
  }
  Status s = table.Update(kCacheCleanupStampKey, std::to_string(static_cast<int64_t>(::time(nullptr))));
  if (!s.ok())
    Fatal("table " + name + ": " + what + ": write " + std::string(kCacheCleanupStampKey) + ": " + s.message());
  maps.CloseAll();
  LogInfo(name + ": " + what + ": " + std::to_string(kept + expired.size()) + " entries: " + std::to_string(kept) +
          " kept, " + std::to_string(deleted) + " expired and deleted" +
          (gone > 0 ? ", " + std::to_string(gone) + " expired but already gone" : std::string()));
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
    Progress display((from_stdin ? "-i " : "build ") + full_name);
    report.after_batch = [&display](const BuildReport& so_far) { display.Update(so_far.stored + so_far.refused); };
    progress = from_stdin ? "nothing from stdin was stored in " + full_name
                          : full_name + " was not changed";
    s = BuildTableFromReader(full_name, open, from_stdin, reader.get(), &report);
    if (from_stdin && report.stored == 0) {
      // "nothing from stdin was stored", as set above (a table that did not open, say)
    } else if (from_stdin && report.stored_kept) {
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
    case CommandMode::kWarm:
      return Warm(options);
    case CommandMode::kAudit:
      return Audit(options);
    case CommandMode::kExpire:
      return Expire(options);
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
