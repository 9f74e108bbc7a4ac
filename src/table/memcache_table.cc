// The memcache table (memcache_table(5)): a memcached server as a lookup
// table, with an optional persistent backup table behind it.
//
// Key preparation, in Postfix's order: an empty key, a key outside the
// domain list, a key that key_format cannot expand, and a key memcached
// cannot take (whitespace, control characters, over 250 bytes) are skipped;
// with key_digest, the expanded key is replaced by its hex digest before
// that last check.  Skipped keys:
// lookups and deletes say "not found" silently, updates are refused with a
// warning.  Lookups fold the key first unless folding is off.
//
// Operations: lookup asks memcached, then the backup (with the original
// key), and writes a backup hit back to memcached with the configured ttl
// and flags.  First/next is the backup's.  The batch forms do the same in
// pipelined rounds.
//
// Writes keep memcached a cache of the backup: every write goes to the
// backup first, then memcached is made to follow what the backup holds, so
// at no point, whatever fails or stops the process, is a key newer in
// memcached than in the backup.  (Postfix writes memcached first; a failed
// or duplicate backup update then leaves the two disagreeing.)
// - Update with a backup: the backup; then memcached gets what the backup
//   now holds for the key, read back, so the backup's duplicate rule (-w,
//   -r, the default) decides for both.  A value over data_size_limit is
//   stored in the backup only and the key deleted from memcached, so no
//   older value stays cached.  The result is the backup's (as Postfix);
//   memcached failing to follow is a warning naming the table and the key
//   (the key is deleted from memcached where possible).
// - Update without a backup: memcached's result; a value over
//   data_size_limit is refused with Postfix's warning and not stored.
// - Delete: the backup, then memcached; the result is the backup's, or
//   memcached's without a backup.
// A backup of a read-only type (pgsql, mysql, sqlite...) cannot follow
// writes.  Opened for -i (read_write and create), the table fails to open
// with a ConfigError naming that backup.  Opened read-write otherwise (-d),
// it opens with the backup read-only: updates are refused naming the
// backup, and a delete removes the memcached entry only, with one warning
// per table that the backup was left alone.  That is the operator's way
// to drop a stale cache entry after the database changed: the next lookup
// reads the backup again (mctable(1)).
// A key that cannot be used (empty, outside the domain list, not
// expandable, not a valid memcached key) is refused with a warning naming
// the table and the key; a refusal is not an error (Status::Refused).
// Build mode (truncate, "mctable memcache:...") is refused, as postmap
// refuses it: the table has no source file of its own.
//
// With replicas = N (N copies of each key on distinct servers; more than
// the servers configured is a ConfigError naming the table), "memcached"
// above means every copy: the client (memcache/client_replicas.cc) reads
// copy after copy and repairs, and fails a write that missed a copy.
//
// With value_signing_key_file, everything stored (updates and cache fills)
// is signed for its memcached key and expiry, and a value read back that is
// not validly signed is treated as not found, with a warning naming the
// table and key; with a backup it is then looked up there and written back.
//
// As a CacheMaintenance (cache_maintenance.h), mctable --warm and --audit
// store backup entries through the same fill as a lookup's, and compare
// the cache with the backup through the same key preparation and
// signature check.
#include <ctime>
#include <memory>

#include "common/casefold.h"
#include "mctable/config.h"
#include "mctable/exact_key_cache.h"
#include "mctable/log.h"
#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "match/domain_list.h"
#include "memcache/client.h"
#include "common/key_format.h"
#include "memcache/key_hash.h"
#include "memcache/server_list.h"
#include "memcache/protocol.h"
#include "table/cache_maintenance.h"
#include "table/listed_table.h"
#include "memcache/openssl_module.h"
#include "memcache/signed_value_format.h"
#include "table/memcache_security.h"

namespace mctable {
namespace {

constexpr char kType[] = "memcache";

// The signed forms of a batch's values in one buffer, reused from batch to
// batch so that signing allocates nothing per value: every value is added
// first, then the forms are read (an Add may move the buffer).
class SignedBatch {
 public:
  void Clear() {
    bytes_.clear();
    ends_.clear();
  }
  void Add(const ValueSigner& signer, std::string_view wire_key, std::string_view value,
           int64_t expiry) {
    signer.AppendSigned(wire_key, value, expiry, &bytes_);
    ends_.push_back(bytes_.size());
  }
  // The k-th form added; valid until the next Clear or Add.
  std::string_view Get(size_t k) const {
    size_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(bytes_).substr(begin, ends_[k] - begin);
  }

 private:
  std::string bytes_;
  std::vector<size_t> ends_;
};

class MemcacheTable : public Table, public CacheMaintenance, public ExactKeyCache {
 public:
  MemcacheTable(std::string name, const OpenOptions& options, MemcacheSettings settings,
                MemcacheSecurity security)
      : Table(kType, std::move(name)),
        options_(options),
        client_(std::move(settings)),
        key_digest_(std::move(security.key_digest)),
        signer_(std::move(security.signer)) {}

  Status Configure(const Config& config);

  Status Lookup(std::string_view key, std::string* value) override;
  Status Update(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override;
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;
  void UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) override;
  void DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) override;
  Status Close() override { return backup_ ? backup_->Close() : Status::OK(); }
  // Enough keys for several multi-key gets or pipelined chunks per round.
  size_t preferred_batch_size() const override { return 4096; }
  TableCounters counters() const override {
    TableCounters counters = counters_;
    const ReplicaCounters& replicas = client_.replica_counters();
    counters.replica_failovers = replicas.failovers;
    counters.read_repairs = replicas.read_repairs;
    counters.writes_missed_copy = replicas.writes_missed_copy;
    return counters;
  }

  void FillMany(std::span<const KeyValue> entries, std::vector<Status>* results) override;
  void CompareMany(std::span<const KeyValue> entries, std::vector<Comparison>* results) override;
  void LookupBackupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override {
    if (backup_) return backup_->LookupMany(keys, results);
    results->assign(keys.size(), LookupResult{Status::ConfigError("table " + full_name() + " has no backup"), ""});
  }
  bool has_backup() const override { return backup_ != nullptr; }

  // ExactKeyCache (mctabled's memcache front): see exact_key_cache.h.
  Status CheckExactKey(std::string_view key) const override;
  size_t max_value_size() const override;
  void GetExact(std::span<const std::string> keys, std::vector<CachedValue>* results) override;
  void SetExact(std::span<const CacheItem> items, std::vector<Status>* results) override;
  void DeleteExact(std::span<const std::string> keys, std::vector<Status>* results) override;

 private:
  // The memcached key for a client's exact key: the key itself, or its
  // digest with key_digest.  Refused with the reason when it cannot be used.
  Status ExactWireKey(std::string_view key, std::string* wire_key) const;
  // The cache fill: values[k] stored under wire_keys[k], signed when
  // signing is on, with flags and ttl; a value over data_size_limit is not
  // stored ((*stored)[k] Refused).
  void Fill(std::span<const std::string_view> wire_keys, std::span<const std::string_view> values,
            std::time_t now, std::vector<Status>* stored);
  // Turns `key` into the key sent to memcached.  Returns OK, NotFound with
  // the reason when the key is to be skipped, or an error (domain table).
  Status PrepareKey(std::string_view key, std::string* wire_key) const;
  // What memcached would refuse to return is not stored: false, with
  // Postfix's warning (TooLong) if `warn`, when `data` is over data_size_limit.
  bool FitsDataLimit(std::string_view wire_key, std::string_view data, bool warn = true) const;
  std::string TooLong(std::string_view wire_key) const;
  // Checks and unwraps a value read from memcached: false, with a warning,
  // if signatures are on and its signature is missing, wrong or expired.
  bool AcceptStored(std::string_view key, std::string_view wire_key, std::time_t now,
                    std::string* value) const;
  // Cache fill: writes the backup's answers (values[k] for wire_keys[k])
  // to memcached, signed, with the table's flags and ttl, and counts them
  // (`asked`: the backup lookups behind them).  A failure here costs only
  // a later backup lookup.
  void FillFromBackup(size_t asked, std::span<const std::string_view> wire_keys,
                      std::span<const std::string_view> values, std::time_t now);
  // Deletes keys[delete_index[j]] from the backup, if there is one (into
  // *from_backup, else left empty; NotFound for each key of a read-only
  // backup, which is left alone), then wire_keys[j] from memcached (into
  // *deleted).
  void DeleteFromBoth(std::span<const std::string> keys, std::span<const size_t> delete_index,
                      std::span<const std::string_view> wire_keys, std::vector<Status>* from_backup,
                      std::vector<Status>* deleted);
  void LogSkip(std::string_view operation, std::string_view key, const Status& why, bool warn) const;
  void Verbose(std::string_view what, std::string_view key, std::string_view wire_key,
               std::string_view outcome) const;
  Status ReadOnlyRefusal(std::string_view operation) const {
    return Status::Refused("table " + full_name() + ": " + std::string(operation) +
                           " is not allowed: table is opened read-only");
  }

  OpenOptions options_;
  MemcacheClient client_;
  KeyFormat key_format_;
  std::unique_ptr<KeyDigest> key_digest_;
  std::unique_ptr<ValueSigner> signer_;
  std::unique_ptr<DomainList> domain_;
  std::unique_ptr<Table> backup_;
  // Why backup_ is open read-only in a read-write table (its type's
  // refusal); empty when the backup follows writes.
  std::string backup_read_only_;
  bool warned_backup_left_alone_ = false;
  uint32_t flags_ = 0;
  long ttl_ = 3600;
  TableCounters counters_;
  // Reused by LookupMany from one batch to the next, so that a long batch
  // job does not allocate per key or per round.
  std::vector<std::string> wire_;
  std::vector<std::string_view> to_get_;
  std::vector<size_t> get_index_;
  std::vector<LookupResult> got_;
  std::vector<LookupResult> backup_values_;  // UpdateMany's read-back
  SignedBatch signed_;                        // what a batch's sets point into
  mutable std::string folded_;
};

Status MemcacheTable::Configure(const Config& config) {
  int flags = 0, ttl = 0;
  Status s = config.GetInt("flags", 0, 0, 0, &flags);
  if (!s.ok()) return s;
  // Postfix accepts a negative flags value and memcached then rejects every
  // set; refuse it here instead.
  if (flags < 0)
    return Status::ConfigError(config.origin() + ": invalid flags parameter value " +
                               std::to_string(flags) + " < 0");
  flags_ = static_cast<uint32_t>(flags);
  s = config.GetInt("ttl", 3600, 0, 0, &ttl);
  if (!s.ok()) return s;
  ttl_ = ttl;
  s = KeyFormat::Parse(config.GetString("key_format", "%s"), name(), &key_format_);
  if (!s.ok()) return s;
  std::string domain = config.GetString("domain", "");
  if (!domain.empty()) {
    s = DomainList::Create(domain, config.origin(), options_.utf8, ListedTableOpenerFor(options_),
                           &domain_);
    if (!s.ok()) return s;
  }
  std::string backup = config.GetString("backup", "");
  if (!backup.empty()) {
    // Each backup write must stay in the file once memcached follows it: a
    // bulk_update session (hash, btree) is undone after a failure, which
    // would leave memcached ahead of its backup.
    OpenOptions backup_options = options_;
    backup_options.bulk_update = false;
    s = OpenTable(backup, backup_options, &backup_);
    if (s.IsRefused() && options_.read_write) {
      // A read-only type: say which table is read-only (postmap and a
      // plain type refusal would name only the memcache type).
      const std::string why = s.message();
      if (options_.create)
        return Status::ConfigError("table " + full_name() + ": cannot update: its backup " + backup +
                                   " is read-only (" + why + ")");
      backup_options.read_write = false;
      s = OpenTable(backup, backup_options, &backup_);
      if (s.ok()) backup_read_only_ = why;
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status MemcacheTable::PrepareKey(std::string_view key, std::string* wire_key) const {
  if (key.empty()) return Status::NotFound("empty lookup key");
  if (domain_) {
    size_t at = key.rfind('@');
    if (at == std::string_view::npos || at == 0) return Status::NotFound("domain mismatch");
    bool matched = false;
    Status s = domain_->Match(key.substr(at + 1), &matched);
    if (s.IsError()) return s;
    if (!matched) return Status::NotFound("domain mismatch");
  }
  if (options_.fold_keys) {
    CaseFold(key, options_.utf8, &folded_);
    key = folded_;
  }
  if (!key_format_.Expand(key, wire_key)) return Status::NotFound("empty lookup key expansion");
  // An empty expansion is skipped before the digest, which would hide it.
  if (key_digest_ && !wire_key->empty() && !key_digest_->Apply(wire_key))
    return Status::TempError(full_name() + ": " + key_digest_->algorithm() +
                             " message digest failed");
  if (const char* why = InvalidMemcacheKeyReason(*wire_key)) return Status::NotFound(why);
  return Status::OK();
}

bool MemcacheTable::FitsDataLimit(std::string_view wire_key, std::string_view data, bool warn) const {
  if (data.size() <= client_.settings().data_size_limit) return true;
  if (warn) LogWarning(TooLong(wire_key));
  return false;
}

std::string MemcacheTable::TooLong(std::string_view wire_key) const {
  return "database " + full_name() + ": data for key " + PrintableBytes(wire_key) +
         " is too long (data_size_limit=" + std::to_string(client_.settings().data_size_limit) +
         ") -- not stored";
}

bool MemcacheTable::AcceptStored(std::string_view key, std::string_view wire_key, std::time_t now,
                                 std::string* value) const {
  if (!signer_) return true;
  std::string_view inner;
  ValueSigner::Verdict verdict = signer_->Verify(wire_key, *value, now, &inner);
  if (verdict == ValueSigner::Verdict::kValid) {
    value->erase(0, static_cast<size_t>(inner.data() - value->data()));
    return true;
  }
  LogWarning(full_name() + ": memcache entry for key \"" + PrintableBytes(key) + "\" (" +
             PrintableBytes(wire_key) + "): " + ValueSigner::Describe(verdict) +
             " -- treated as not found");
  return false;
}

void MemcacheTable::LogSkip(std::string_view operation, std::string_view key, const Status& why,
                            bool warn) const {
  if (!warn && LogVerbosity() == 0) return;
  std::string text = full_name() + ": skipping " + std::string(operation) + " for name \"" +
                     PrintableBytes(key) + "\": " + why.message();
  if (warn)
    LogWarning(text);
  else
    LogInfo(text);
}

void MemcacheTable::Verbose(std::string_view what, std::string_view key, std::string_view wire_key,
                            std::string_view outcome) const {
  if (LogVerbosity() == 0) return;
  LogInfo(full_name() + ": " + std::string(what) + " key \"" + PrintableBytes(key) + "\"(" +
          PrintableBytes(wire_key) + ") => " + std::string(outcome));
}

Status MemcacheTable::Lookup(std::string_view key, std::string* value) {
  std::string k(key);
  std::vector<LookupResult> results;
  LookupMany(std::span<const std::string>(&k, 1), &results);
  if (results[0].status.ok()) *value = std::move(results[0].value);
  return results[0].status;
}

void MemcacheTable::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  const size_t n = keys.size();
  results->resize(n);
  if (wire_.size() < n) wire_.resize(n);
  std::vector<std::string>& wire = wire_;
  to_get_.clear();
  get_index_.clear();
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(keys[i], &wire[i]);
    if (s.ok()) {
      to_get_.push_back(wire[i]);
      get_index_.push_back(i);
    } else {
      wire[i].clear();
      if (s.IsNotFound()) LogSkip("lookup", keys[i], s, false);
      (*results)[i].status = s.IsNotFound() ? Status::NotFound() : s;
    }
  }
  client_.Get(to_get_, &got_);
  const std::time_t now = std::time(nullptr);
  std::vector<size_t> ask_backup;
  for (size_t j = 0; j < got_.size(); ++j) {
    size_t i = get_index_[j];
    std::swap((*results)[i], got_[j]);
    LookupResult& result = (*results)[i];
    if (result.status.ok() && !AcceptStored(keys[i], wire[i], now, &result.value)) {
      result.status = Status::NotFound();
      result.value.clear();
    }
    if (!result.status.ok() && backup_) ask_backup.push_back(i);
  }
  if (!ask_backup.empty()) {
    std::vector<std::string> backup_keys;
    backup_keys.reserve(ask_backup.size());
    for (size_t i : ask_backup) backup_keys.push_back(keys[i]);
    std::vector<LookupResult> from_backup;
    backup_->LookupMany(backup_keys, &from_backup);
    std::vector<std::string_view> fill_keys, fill_values;
    for (size_t j = 0; j < ask_backup.size(); ++j) {
      size_t i = ask_backup[j];
      (*results)[i] = std::move(from_backup[j]);
      if (!(*results)[i].status.ok()) continue;
      fill_keys.push_back(wire[i]);
      fill_values.push_back((*results)[i].value);
    }
    FillFromBackup(ask_backup.size(), fill_keys, fill_values, now);
  }
  if (LogVerbosity() > 0)
    for (size_t i = 0; i < n; ++i)
      Verbose("lookup", keys[i], wire[i],
              (*results)[i].status.ok() ? (*results)[i].value : (*results)[i].status.ToString());
}

void MemcacheTable::Fill(std::span<const std::string_view> wire_keys,
                         std::span<const std::string_view> values, std::time_t now,
                         std::vector<Status>* stored) {
  const size_t n = wire_keys.size();
  stored->assign(n, Status::OK());
  if (signer_) {
    signed_.Clear();
    const int64_t expiry = ValueSigner::ExpiryForTtl(ttl_, now);
    for (size_t k = 0; k < n; ++k) signed_.Add(*signer_, wire_keys[k], values[k], expiry);
  }
  std::vector<SetRequest> fill;
  std::vector<size_t> fill_index;
  for (size_t k = 0; k < n; ++k) {
    std::string_view data = signer_ ? signed_.Get(k) : values[k];
    if (FitsDataLimit(wire_keys[k], data, !options_.caller_logs_refusals)) {
      fill.push_back({wire_keys[k], data});
      fill_index.push_back(k);
    } else {
      (*stored)[k] = Status::Refused(TooLong(wire_keys[k]));
    }
  }
  std::vector<Status> set;
  client_.Set(fill, flags_, ttl_, &set);
  for (size_t j = 0; j < set.size(); ++j) (*stored)[fill_index[j]] = std::move(set[j]);
}

void MemcacheTable::FillMany(std::span<const KeyValue> entries, std::vector<Status>* results) {
  const size_t n = entries.size();
  results->assign(n, Status::NotFound());
  if (wire_.size() < n) wire_.resize(n);
  std::vector<std::string_view> keys, values;
  std::vector<size_t> index;
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(entries[i].key, &wire_[i]);
    if (s.ok()) {
      keys.push_back(wire_[i]);
      values.push_back(entries[i].value);
      index.push_back(i);
    } else {
      if (s.IsNotFound()) LogSkip("fill", entries[i].key, s, false);
      (*results)[i] = s.IsNotFound() ? Status::NotFound() : s;
    }
  }
  std::vector<Status> stored;
  Fill(keys, values, std::time(nullptr), &stored);
  for (size_t j = 0; j < stored.size(); ++j) {
    if (stored[j].ok()) ++counters_.cache_fills;
    (*results)[index[j]] = std::move(stored[j]);
  }
}

void MemcacheTable::CompareMany(std::span<const KeyValue> entries, std::vector<Comparison>* results) {
  const size_t n = entries.size();
  results->assign(n, Comparison());
  if (wire_.size() < n) wire_.resize(n);
  to_get_.clear();
  get_index_.clear();
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(entries[i].key, &wire_[i]);
    if (s.ok()) {
      to_get_.push_back(wire_[i]);
      get_index_.push_back(i);
    } else if (!s.IsNotFound()) {
      (*results)[i].verdict = Verdict::kUnreadable;
      (*results)[i].why = s;
    }
  }
  client_.Get(to_get_, &got_);
  const std::time_t now = std::time(nullptr);
  for (size_t j = 0; j < got_.size(); ++j) {
    size_t i = get_index_[j];
    Comparison& c = (*results)[i];
    LookupResult& got = got_[j];
    if (got.status.IsNotFound()) {
      c.verdict = Verdict::kMissing;
    } else if (!got.status.ok()) {
      c.verdict = Verdict::kUnreadable;
      c.why = got.status;
    } else if (!AcceptStored(entries[i].key, wire_[i], now, &got.value)) {
      c.verdict = Verdict::kUnreadable;
      c.why = Status::Refused("the cached value is not validly signed");
    } else if (got.value == entries[i].value) {
      c.verdict = Verdict::kSame;
    } else {
      c.verdict = Verdict::kStale;
      c.cached = std::move(got.value);
    }
  }
}

void MemcacheTable::FillFromBackup(size_t asked, std::span<const std::string_view> wire_keys,
                                   std::span<const std::string_view> values, std::time_t now) {
  std::vector<Status> stored;
  Fill(wire_keys, values, now, &stored);
  counters_.backup_lookups += asked;
  for (const Status& s : stored)
    if (s.ok()) ++counters_.cache_fills;
}

Status MemcacheTable::Update(std::string_view key, std::string_view value) {
  KeyValue kv{std::string(key), std::string(value)};
  std::vector<Status> results;
  UpdateMany(std::span<const KeyValue>(&kv, 1), &results);
  return results[0];
}

void MemcacheTable::UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) {
  const size_t n = entries.size();
  if (!options_.read_write) {
    results->assign(n, ReadOnlyRefusal("update"));
    return;
  }
  if (!backup_read_only_.empty()) {
    results->assign(n, Status::Refused("table " + full_name() + ": cannot update: its backup " +
                                       backup_->full_name() + " is read-only (" +
                                       backup_read_only_ + ")"));
    return;
  }
  results->assign(n, Status::OK());
  std::vector<std::string> wire(n);
  std::vector<size_t> usable;  // entries whose key can be written
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(entries[i].key, &wire[i]);
    if (s.ok()) {
      usable.push_back(i);
    } else if (s.IsNotFound()) {
      LogSkip("update", entries[i].key, s, !options_.caller_logs_refusals);
      (*results)[i] = Status::Refused(full_name() + ": skipping update for name \"" +
                                      PrintableBytes(entries[i].key) + "\": " + s.message());
    } else {
      (*results)[i] = s;
    }
  }

  // What memcached is to hold afterwards: a value, or nothing (deleted).
  std::vector<SetRequest> to_set;
  std::vector<size_t> set_index;
  std::vector<std::string_view> to_delete;
  const std::time_t now = std::time(nullptr);
  const int64_t expiry = signer_ ? ValueSigner::ExpiryForTtl(ttl_, now) : 0;
  if (!backup_) {
    // memcached alone: the same store as a lookup's cache fill.
    std::vector<std::string_view> keys, values;
    for (size_t i : usable) {
      keys.push_back(wire[i]);
      values.push_back(entries[i].value);
    }
    std::vector<Status> stored;
    Fill(keys, values, now, &stored);
    for (size_t k = 0; k < stored.size(); ++k) (*results)[usable[k]] = std::move(stored[k]);
  } else {
    std::vector<KeyValue> backup_entries;
    backup_entries.reserve(usable.size());
    for (size_t i : usable) backup_entries.push_back(entries[i]);
    std::vector<Status> backup_results;
    backup_->UpdateMany(backup_entries, &backup_results);
    // Read back what the backup holds now: its duplicate rule decides.
    std::vector<std::string> stored_keys;
    std::vector<size_t> stored_index;
    for (size_t j = 0; j < usable.size(); ++j) {
      (*results)[usable[j]] = std::move(backup_results[j]);
      if ((*results)[usable[j]].ok()) {
        stored_keys.push_back(entries[usable[j]].key);
        stored_index.push_back(usable[j]);
      }
    }
    backup_->LookupMany(stored_keys, &backup_values_);
    if (signer_) {  // one form per entry, empty for what the backup lacks
      signed_.Clear();
      for (size_t j = 0; j < stored_index.size(); ++j)
        signed_.Add(*signer_, wire[stored_index[j]],
                    backup_values_[j].status.ok() ? std::string_view(backup_values_[j].value)
                                                  : std::string_view(),
                    expiry);
    }
    for (size_t j = 0; j < stored_index.size(); ++j) {
      size_t i = stored_index[j];
      const LookupResult& held = backup_values_[j];
      std::string_view data = signer_ ? signed_.Get(j) : std::string_view(held.value);
      if (held.status.ok() && FitsDataLimit(wire[i], data)) {
        to_set.push_back({wire[i], data});
        set_index.push_back(i);
      } else {
        to_delete.push_back(wire[i]);  // nothing older may stay cached
      }
    }
    std::vector<Status> stored;
    client_.Set(to_set, flags_, ttl_, &stored);
    std::vector<size_t> failed;
    for (size_t j = 0; j < stored.size(); ++j) {
      if (stored[j].ok()) continue;
      failed.push_back(j);
      to_delete.push_back(to_set[j].key);  // best effort: no stale value
    }
    if (!failed.empty())
      LogWarning(full_name() + ": memcached was not updated for " + std::to_string(failed.size()) +
                 (failed.size() == 1 ? " key" : " keys") + ", first \"" +
                 PrintableBytes(to_set[failed[0]].key) + "\": " + stored[failed[0]].message() +
                 "; the backup has the new value");
    if (!to_delete.empty()) {
      std::vector<Status> deleted;
      client_.Delete(to_delete, &deleted);
    }
  }
  if (LogVerbosity() > 0)
    for (size_t i = 0; i < n; ++i)
      Verbose("update", entries[i].key, wire[i], (*results)[i].ToString());
}

Status MemcacheTable::Delete(std::string_view key) {
  std::string k(key);
  std::vector<Status> results;
  DeleteMany(std::span<const std::string>(&k, 1), &results);
  return results[0];
}

void MemcacheTable::DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) {
  const size_t n = keys.size();
  if (!options_.read_write) {
    results->assign(n, ReadOnlyRefusal("delete"));
    return;
  }
  results->assign(n, Status::NotFound());
  std::vector<std::string> wire(n);
  std::vector<std::string_view> to_delete;
  std::vector<size_t> delete_index;
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(keys[i], &wire[i]);
    if (!s.ok()) {
      if (s.IsNotFound()) LogSkip("delete", keys[i], s, false);
      (*results)[i] = s.IsNotFound() ? Status::NotFound() : s;
      continue;
    }
    to_delete.push_back(wire[i]);
    delete_index.push_back(i);
  }
  const bool backup_follows = backup_ && backup_read_only_.empty();
  if (backup_ && !backup_follows && !to_delete.empty() && !warned_backup_left_alone_) {
    warned_backup_left_alone_ = true;
    LogWarning("table " + full_name() + ": backup " + backup_->full_name() +
               " is read-only and was left alone: only memcached entries are deleted, and the "
               "next lookup of such a key reads the backup again");
  }
  std::vector<Status> from_backup, deleted;
  DeleteFromBoth(keys, delete_index, to_delete, &from_backup, &deleted);
  if (backup_follows)
    for (size_t j = 0; j < from_backup.size(); ++j) (*results)[delete_index[j]] = std::move(from_backup[j]);
  size_t failures = 0;
  size_t first_failure = 0;
  for (size_t j = 0; j < deleted.size(); ++j) {
    if (!backup_follows) {
      (*results)[delete_index[j]] = std::move(deleted[j]);
    } else if (deleted[j].IsError() && failures++ == 0) {
      first_failure = j;
    }
  }
  if (failures > 0)
    LogWarning(full_name() + ": memcached did not delete " + std::to_string(failures) +
               (failures == 1 ? " key" : " keys") + ", first \"" + PrintableBytes(to_delete[first_failure]) +
               "\": " + deleted[first_failure].message() + "; it may answer with the old value until its ttl");
  if (LogVerbosity() > 0)
    for (size_t i = 0; i < n; ++i) Verbose("delete", keys[i], wire[i], (*results)[i].ToString());
}

void MemcacheTable::DeleteFromBoth(std::span<const std::string> keys,
                                   std::span<const size_t> delete_index,
                                   std::span<const std::string_view> wire_keys,
                                   std::vector<Status>* from_backup, std::vector<Status>* deleted) {
  from_backup->clear();
  if (backup_ && !backup_read_only_.empty()) {
    from_backup->assign(delete_index.size(), Status::NotFound());  // left alone
  } else if (backup_) {
    // The backup first: stopped half way, memcached still has the key the
    // backup lost, a stale value, never a newer one.
    std::vector<std::string> backup_keys;
    backup_keys.reserve(delete_index.size());
    for (size_t i : delete_index) backup_keys.push_back(keys[i]);
    backup_->DeleteMany(backup_keys, from_backup);
  }
  client_.Delete(wire_keys, deleted);
}

Status MemcacheTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (!backup_) {
    if (op == SequenceOp::kFirst)
      LogWarning("database " + full_name() + ": first/next support requires backup database");
    return Status::NotFound();
  }
  return backup_->Sequence(op, key, value);
}

Status MemcacheTable::ExactWireKey(std::string_view key, std::string* wire_key) const {
  if (key.empty()) return Status::Refused("empty key");
  for (unsigned char c : key)
    if (c <= 0x20 || c == 0x7f)
      return Status::Refused("key contains whitespace or a control character");
  wire_key->assign(key);
  if (key_digest_) {
    if (!key_digest_->Apply(wire_key))
      return Status::TempError(full_name() + ": " + key_digest_->algorithm() +
                               " message digest failed");
  } else if (key.size() > kMaxMemcacheKeyLength) {
    return Status::Refused("key of " + std::to_string(key.size()) + " bytes is longer than " +
                           std::to_string(kMaxMemcacheKeyLength) + " and table " + full_name() +
                           " has no key_digest");
  }
  if (const char* why = InvalidMemcacheKeyReason(*wire_key)) return Status::Refused(why);
  return Status::OK();
}

Status MemcacheTable::CheckExactKey(std::string_view key) const {
  std::string wire;
  return ExactWireKey(key, &wire);
}

size_t MemcacheTable::max_value_size() const {
  size_t limit = client_.settings().data_size_limit;
  if (!signer_) return limit;
  return limit > kMaxSignedValueOverhead ? limit - kMaxSignedValueOverhead : 0;
}

void MemcacheTable::GetExact(std::span<const std::string> keys, std::vector<CachedValue>* results) {
  const size_t n = keys.size();
  results->assign(n, CachedValue{});
  std::vector<std::string> wire(n);
  std::vector<std::string_view> to_get;
  std::vector<size_t> get_index;
  for (size_t i = 0; i < n; ++i) {
    Status s = ExactWireKey(keys[i], &wire[i]);
    if (s.ok()) {
      to_get.push_back(wire[i]);
      get_index.push_back(i);
    } else {
      (*results)[i].status = std::move(s);
    }
  }
  std::vector<uint32_t> flags;
  client_.Get(to_get, &got_, &flags);
  const std::time_t now = std::time(nullptr);
  std::vector<size_t> ask_backup;
  for (size_t j = 0; j < got_.size(); ++j) {
    size_t i = get_index[j];
    CachedValue& result = (*results)[i];
    result.status = std::move(got_[j].status);
    if (result.status.ok()) {
      result.value = std::move(got_[j].value);
      result.flags = flags[j];
      if (!AcceptStored(keys[i], wire[i], now, &result.value)) {
        result.status = Status::NotFound();
        result.value.clear();
      }
    }
    if (!result.status.ok() && backup_) ask_backup.push_back(i);
  }
  if (ask_backup.empty()) return;
  std::vector<std::string> backup_keys;
  backup_keys.reserve(ask_backup.size());
  for (size_t i : ask_backup) backup_keys.push_back(keys[i]);
  std::vector<LookupResult> from_backup;
  backup_->LookupMany(backup_keys, &from_backup);
  // A fill carries the table's own flags and ttl, as mctable's fills do.
  std::vector<std::string_view> fill_keys, fill_values;
  for (size_t j = 0; j < ask_backup.size(); ++j) {
    size_t i = ask_backup[j];
    CachedValue& result = (*results)[i];
    result.status = std::move(from_backup[j].status);
    if (!result.status.ok()) continue;
    result.value = std::move(from_backup[j].value);
    result.flags = flags_;
    fill_keys.push_back(wire[i]);
    fill_values.push_back(result.value);
  }
  FillFromBackup(ask_backup.size(), fill_keys, fill_values, now);
}

void MemcacheTable::SetExact(std::span<const CacheItem> items, std::vector<Status>* results) {
  const size_t n = items.size();
  if (!options_.read_write) {
    results->assign(n, ReadOnlyRefusal("update"));
    return;
  }
  results->assign(n, Status::OK());
  std::vector<std::string> wire(n);
  std::vector<size_t> usable;
  for (size_t i = 0; i < n; ++i) {
    Status s = ExactWireKey(items[i].key, &wire[i]);
    if (s.ok() && items[i].value.size() > max_value_size())
      s = Status::Refused("value of " + std::to_string(items[i].value.size()) +
                          " bytes is larger than " + std::to_string(max_value_size()) +
                          " (data_size_limit of " + full_name() + ")");
    // Postfix's table formats end a value at its first NUL: the backup
    // would keep less than was written.
    if (s.ok() && backup_ && items[i].value.find('\0') != std::string::npos)
      s = Status::Refused("value contains a NUL byte, which the backup table " + backup_->full_name() +
                          " cannot hold");
    if (s.ok())
      usable.push_back(i);
    else
      (*results)[i] = std::move(s);
  }
  if (backup_) {
    // The backup first, as UpdateMany: memcached is never ahead of it.
    std::vector<KeyValue> backup_entries;
    backup_entries.reserve(usable.size());
    for (size_t i : usable) backup_entries.push_back({items[i].key, items[i].value});
    std::vector<Status> backup_results;
    backup_->UpdateMany(backup_entries, &backup_results);
    std::vector<size_t> written;
    for (size_t j = 0; j < usable.size(); ++j) {
      (*results)[usable[j]] = std::move(backup_results[j]);
      if ((*results)[usable[j]].ok()) written.push_back(usable[j]);
    }
    usable.swap(written);
  }
  const std::time_t now = std::time(nullptr);
  if (signer_) {
    signed_.Clear();
    for (size_t i : usable)
      signed_.Add(*signer_, wire[i], items[i].value, ValueSigner::ExpiryForTtl(items[i].ttl, now));
  }
  // One pipelined set per distinct (flags, ttl): clients of one cache
  // normally all send the same pair, so this is one call.
  std::vector<bool> done(usable.size(), false);
  std::vector<std::string_view> failed_keys;
  std::string first_failure;
  for (size_t k = 0; k < usable.size(); ++k) {
    if (done[k]) continue;
    const uint32_t flags = items[usable[k]].flags;
    const int64_t ttl = items[usable[k]].ttl;
    std::vector<SetRequest> to_set;
    std::vector<size_t> set_index;
    for (size_t m = k; m < usable.size(); ++m) {
      size_t i = usable[m];
      if (done[m] || items[i].flags != flags || items[i].ttl != ttl) continue;
      done[m] = true;
      to_set.push_back({wire[i], signer_ ? signed_.Get(m) : std::string_view(items[i].value)});
      set_index.push_back(i);
    }
    std::vector<Status> stored;
    client_.Set(to_set, flags, static_cast<long>(ttl), &stored);
    for (size_t j = 0; j < stored.size(); ++j) {
      if (!backup_) {
        (*results)[set_index[j]] = std::move(stored[j]);
      } else if (!stored[j].ok()) {
        if (first_failure.empty()) first_failure = stored[j].message();
        failed_keys.push_back(to_set[j].key);
      }
    }
  }
  if (!failed_keys.empty()) {
    LogWarning(full_name() + ": memcached was not updated for " + std::to_string(failed_keys.size()) +
               (failed_keys.size() == 1 ? " key" : " keys") + ", first \"" +
               PrintableBytes(failed_keys[0]) + "\": " + first_failure + "; the backup has the new value");
    std::vector<Status> deleted;
    client_.Delete(failed_keys, &deleted);  // best effort: no stale value
  }
}

void MemcacheTable::DeleteExact(std::span<const std::string> keys, std::vector<Status>* results) {
  const size_t n = keys.size();
  if (!options_.read_write) {
    results->assign(n, ReadOnlyRefusal("delete"));
    return;
  }
  results->assign(n, Status::NotFound());
  std::vector<std::string> wire(n);
  std::vector<std::string_view> to_delete;
  std::vector<size_t> delete_index;
  for (size_t i = 0; i < n; ++i) {
    Status s = ExactWireKey(keys[i], &wire[i]);
    if (!s.ok()) {
      (*results)[i] = std::move(s);
      continue;
    }
    to_delete.push_back(wire[i]);
    delete_index.push_back(i);
  }
  std::vector<Status> from_backup, deleted;
  DeleteFromBoth(keys, delete_index, to_delete, &from_backup, &deleted);
  for (size_t j = 0; j < deleted.size(); ++j) {
    Status& result = (*results)[delete_index[j]];
    // An error from either side wins: the key may still be readable.
    if (backup_ && from_backup[j].IsError())
      result = std::move(from_backup[j]);
    else if (deleted[j].IsError())
      result = std::move(deleted[j]);
    else if (deleted[j].ok() || (backup_ && from_backup[j].ok()))
      result = Status::OK();
  }
}

// yes/no, as Postfix writes booleans (true/false, as twemproxy does, too).
Status GetBool(const Config& config, const char* name, bool default_value, bool* value) {
  std::string text = config.GetString(name, default_value ? "yes" : "no");
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (text == "yes" || text == "true") {
    *value = true;
  } else if (text == "no" || text == "false") {
    *value = false;
  } else {
    return Status::ConfigError(config.origin() + ": invalid " + name + " parameter value \"" +
                               config.GetString(name, "") + "\": expected yes or no");
  }
  return Status::OK();
}

// How keys are spread over several servers: twemproxy's parameters, with
// twemproxy's names and values (server_retry_timeout in seconds).
Status ConfigurePlacement(const Config& config, PlacementSettings* placement) {
  std::string distribution = config.GetString("distribution", "ketama");
  if (distribution == "ketama") {
    placement->distribution = Distribution::kKetama;
  } else if (distribution == "modula") {
    placement->distribution = Distribution::kModula;
  } else {
    return Status::ConfigError(config.origin() + ": invalid distribution parameter value \"" +
                               distribution + "\": expected ketama or modula");
  }
  std::string hash = config.GetString("hash", "md5");
  if (!KeyHashFromName(hash, &placement->hash))
    return Status::ConfigError(config.origin() + ": invalid hash parameter value \"" + hash +
                               "\": expected one of " + KeyHashNames());
  placement->hash_tag = config.GetString("hash_tag", "");
  if (!placement->hash_tag.empty() && placement->hash_tag.size() != 2)
    return Status::ConfigError(config.origin() + ": invalid hash_tag parameter value \"" +
                               placement->hash_tag + "\": expected two characters, such as {}");
  Status s = GetBool(config, "auto_eject_hosts", false, &placement->auto_eject_hosts);
  if (!s.ok()) return s;
  s = config.GetInt("server_failure_limit", 2, 1, 0, &placement->server_failure_limit);
  if (!s.ok()) return s;
  s = config.GetInt("replicas", 1, 1, 0, &placement->replicas);
  if (!s.ok()) return s;
  return config.GetInt("server_retry_timeout", 30, 1, 0, &placement->server_retry_timeout_seconds);
}

// The password crosses the network in clear to an inet server that is not
// on this host unless TLS is on (threat-model.md): say so once, at open.
void WarnIfPasswordInClear(const std::string& origin, const MemcacheSettings& settings) {
  if (settings.tls) return;
  for (const ServerConfig& server : settings.servers) {
    if (server.endpoint.IsLocal()) continue;
    LogWarning(origin + ": auth_user without tls = yes: the password is sent in clear to " +
               server.endpoint.ToString());
  }
}

}  // namespace

Status OpenMemcacheTable(std::string_view name, const OpenOptions& options,
                         std::unique_ptr<Table>* table) {
  std::string full = std::string(kType) + ":" + std::string(name);
  if (options.security_sensitive)
    return Status::Refused(full + " map is not allowed for security-sensitive data");
  if (options.truncate) return Status::Refused(full + ": bulk-mode creation is not supported");
  Config config;
  Status s = Config::ForTable(name, options.config_dir, &config);
  if (!s.ok()) return s;

  MemcacheSettings settings;
  settings.table_name = full;
  settings.origin = std::string(name);
  int value = 0;
  struct IntParam {
    const char* name;
    int default_value, min;
    int* target;
  };
  int timeout = 0, max_try = 0, retry_pause = 0, line_limit = 0, data_limit = 0;
  // timeout: Postfix checks no bound and treats 0 as "wait forever"; a
  // lookup table in a mail server's path must not, so it is at least 1.
  for (const IntParam& p : {IntParam{"timeout", 2, 1, &timeout}, IntParam{"max_try", 2, 1, &max_try},
                            IntParam{"retry_pause", 1, 1, &retry_pause},
                            IntParam{"line_size_limit", 1024, 1, &line_limit},
                            IntParam{"data_size_limit", 10240, 1, &data_limit}}) {
    s = config.GetInt(p.name, p.default_value, p.min, 0, &value);
    if (!s.ok()) return s;
    *p.target = value;
  }
  settings.timeout_seconds = timeout;
  settings.max_try = max_try;
  settings.retry_pause_seconds = retry_pause;
  settings.line_size_limit = static_cast<size_t>(line_limit);
  settings.data_size_limit = static_cast<size_t>(data_limit);
  s = ParseServerList(config.GetString("memcache", "inet:localhost:11211"), config.origin(),
                      &settings.servers);
  if (!s.ok()) return s;
  s = ConfigurePlacement(config, &settings.placement);
  if (!s.ok()) return s;
  if (static_cast<size_t>(settings.placement.replicas) > settings.servers.size())
    return Status::ConfigError(full + ": replicas = " + std::to_string(settings.placement.replicas) +
                               " is more than the " + std::to_string(settings.servers.size()) +
                               (settings.servers.size() == 1 ? " server" : " servers") +
                               " in the memcache parameter (" + config.origin() + ")");

  MemcacheSecurity security;
  s = ParseMemcacheSecurity(config, full, &security);
  if (!s.ok()) return s;
  if (security.tls.enabled) {
    std::shared_ptr<TlsContext> tls;
    s = openssl_module::NewTlsContext(security.tls, full, &tls);
    if (!s.ok()) return s;
    settings.tls = std::move(tls);
  }
  if (security.auth.enabled()) {
    WarnIfPasswordInClear(config.origin(), settings);
    settings.auth = std::move(security.auth);
  }

  auto memcache = std::make_unique<MemcacheTable>(std::string(name), options, std::move(settings),
                                                  std::move(security));
  s = memcache->Configure(config);
  if (!s.ok()) return s;
  *table = std::move(memcache);
  return Status::OK();
}

}  // namespace mctable
