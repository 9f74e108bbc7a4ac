// The memcache table (memcache_table(5)): a memcached server as a lookup
// table, with an optional persistent backup table behind it.
//
// Key preparation, in Postfix's order: an empty key, a key outside the
// domain list, a key that key_format cannot expand, and a key memcached
// cannot take (whitespace, control characters, over 250 bytes) are skipped:
// lookups and deletes say "not found" silently, updates are refused with a
// warning.  Lookups fold the key first unless folding is off.
//
// Operations: lookup asks memcached, then the backup (with the original
// key), and writes a backup hit back to memcached with the configured ttl
// and flags.  Update and delete go to memcached, then the backup.  With a
// backup, the result is the backup's; without, memcached's.  First/next is
// the backup's.  The batch forms do the same in pipelined rounds.
#include <memory>

#include "mctable/config.h"
#include "mctable/log.h"
#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "match/domain_list.h"
#include "memcache/client.h"
#include "common/key_format.h"
#include "memcache/protocol.h"
#include "table/listed_table.h"

namespace mctable {
namespace {

constexpr char kType[] = "memcache";

class MemcacheTable : public Table {
 public:
  MemcacheTable(std::string name, const OpenOptions& options, MemcacheSettings settings)
      : Table(kType, std::move(name)), options_(options), client_(std::move(settings)) {}

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

 private:
  // Turns `key` into the key sent to memcached.  Returns OK, NotFound with
  // the reason when the key is to be skipped, or an error (domain table).
  Status PrepareKey(std::string_view key, std::string* wire_key) const;
  // What memcached would refuse to return is not stored: false, with
  // Postfix's warning, when `data` is over data_size_limit.
  bool FitsDataLimit(std::string_view wire_key, std::string_view data) const;
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
  std::unique_ptr<DomainList> domain_;
  std::unique_ptr<Table> backup_;
  uint32_t flags_ = 0;
  long ttl_ = 3600;
  // Reused by LookupMany from one batch to the next, so that a long batch
  // job does not allocate per key or per round.
  std::vector<std::string> wire_;
  std::vector<std::string_view> to_get_;
  std::vector<size_t> get_index_;
  std::vector<LookupResult> got_;
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
    s = DomainList::Create(domain, config.origin(), ListedTableOpenerFor(options_), &domain_);
    if (!s.ok()) return s;
  }
  std::string backup = config.GetString("backup", "");
  if (!backup.empty()) {
    s = OpenTable(backup, options_, &backup_);
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
    folded_.assign(key);
    for (char& c : folded_)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    key = folded_;
  }
  if (!key_format_.Expand(key, wire_key)) return Status::NotFound("empty lookup key expansion");
  if (const char* why = InvalidMemcacheKeyReason(*wire_key)) return Status::NotFound(why);
  return Status::OK();
}

bool MemcacheTable::FitsDataLimit(std::string_view wire_key, std::string_view data) const {
  size_t limit = client_.settings().data_size_limit;
  if (data.size() <= limit) return true;
  LogWarning("database " + full_name() + ": data for key " + PrintableBytes(wire_key) +
             " is too long (data_size_limit=" + std::to_string(limit) + ") -- not stored");
  return false;
}

void MemcacheTable::LogSkip(std::string_view operation, std::string_view key, const Status& why,
                            bool warn) const {
  if (!warn && LogVerbosity() == 0) return;
  std::string text = name() + ": skipping " + std::string(operation) + " for name \"" +
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
  std::vector<size_t> ask_backup;
  for (size_t j = 0; j < got_.size(); ++j) {
    size_t i = get_index_[j];
    std::swap((*results)[i], got_[j]);
    if (!(*results)[i].status.ok() && backup_) ask_backup.push_back(i);
  }
  if (!ask_backup.empty()) {
    std::vector<std::string> backup_keys;
    backup_keys.reserve(ask_backup.size());
    for (size_t i : ask_backup) backup_keys.push_back(keys[i]);
    std::vector<LookupResult> from_backup;
    backup_->LookupMany(backup_keys, &from_backup);
    // Cache fill: a failure here costs only a later backup lookup.
    std::vector<SetRequest> fill;
    for (size_t j = 0; j < ask_backup.size(); ++j) {
      size_t i = ask_backup[j];
      (*results)[i] = std::move(from_backup[j]);
      if ((*results)[i].status.ok() && FitsDataLimit(wire[i], (*results)[i].value))
        fill.push_back({wire[i], (*results)[i].value});
    }
    std::vector<Status> stored;
    client_.Set(fill, flags_, ttl_, &stored);
  }
  if (LogVerbosity() > 0)
    for (size_t i = 0; i < n; ++i)
      Verbose("lookup", keys[i], wire[i],
              (*results)[i].status.ok() ? (*results)[i].value : (*results)[i].status.ToString());
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
  results->assign(n, Status::OK());
  std::vector<std::string> wire(n);
  std::vector<SetRequest> to_set;
  std::vector<size_t> set_index;
  std::vector<KeyValue> backup_entries;
  std::vector<size_t> backup_index;
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(entries[i].key, &wire[i]);
    if (!s.ok()) {
      if (s.IsNotFound()) {
        LogSkip("update", entries[i].key, s, true);
        s = Status::Refused("skipping update for name \"" + PrintableBytes(entries[i].key) +
                              "\": " + s.message());
      }
      (*results)[i] = s;
      continue;
    }
    if (!FitsDataLimit(wire[i], entries[i].value)) {
      (*results)[i] = Status::TempError("data for key " + PrintableBytes(wire[i]) +
                                        " is too long (data_size_limit=" +
                                        std::to_string(client_.settings().data_size_limit) + ")");
    } else {
      to_set.push_back({wire[i], entries[i].value});
      set_index.push_back(i);
    }
    if (backup_) {
      backup_entries.push_back(entries[i]);
      backup_index.push_back(i);
    }
  }
  std::vector<Status> stored;
  client_.Set(to_set, flags_, ttl_, &stored);
  for (size_t j = 0; j < stored.size(); ++j) (*results)[set_index[j]] = std::move(stored[j]);
  if (backup_) {
    std::vector<Status> backup_results;
    backup_->UpdateMany(backup_entries, &backup_results);
    for (size_t j = 0; j < backup_results.size(); ++j)
      (*results)[backup_index[j]] = std::move(backup_results[j]);
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
  std::vector<std::string> backup_keys;
  std::vector<size_t> backup_index;
  for (size_t i = 0; i < n; ++i) {
    Status s = PrepareKey(keys[i], &wire[i]);
    if (!s.ok()) {
      if (s.IsNotFound()) LogSkip("delete", keys[i], s, false);
      (*results)[i] = s.IsNotFound() ? Status::NotFound() : s;
      continue;
    }
    to_delete.push_back(wire[i]);
    delete_index.push_back(i);
    if (backup_) {
      backup_keys.push_back(keys[i]);
      backup_index.push_back(i);
    }
  }
  std::vector<Status> deleted;
  client_.Delete(to_delete, &deleted);
  for (size_t j = 0; j < deleted.size(); ++j) (*results)[delete_index[j]] = std::move(deleted[j]);
  if (backup_) {
    std::vector<Status> backup_results;
    backup_->DeleteMany(backup_keys, &backup_results);
    for (size_t j = 0; j < backup_results.size(); ++j)
      (*results)[backup_index[j]] = std::move(backup_results[j]);
  }
  if (LogVerbosity() > 0)
    for (size_t i = 0; i < n; ++i) Verbose("delete", keys[i], wire[i], (*results)[i].ToString());
}

Status MemcacheTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (!backup_) {
    if (op == SequenceOp::kFirst)
      LogWarning("database " + full_name() + ": first/next support requires backup database");
    return Status::NotFound();
  }
  return backup_->Sequence(op, key, value);
}

}  // namespace

Status OpenMemcacheTable(std::string_view name, const OpenOptions& options,
                         std::unique_ptr<Table>* table) {
  std::string full = std::string(kType) + ":" + std::string(name);
  if (options.security_sensitive)
    return Status::Refused(full + " map is not allowed for security-sensitive data");
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
  s = ParseEndpoint(config.GetString("memcache", "inet:localhost:11211"), config.origin(),
                    &settings.endpoint);
  if (!s.ok()) return s;

  auto memcache = std::make_unique<MemcacheTable>(std::string(name), options, std::move(settings));
  s = memcache->Configure(config);
  if (!s.ok()) return s;
  *table = std::move(memcache);
  return Status::OK();
}

}  // namespace mctable
