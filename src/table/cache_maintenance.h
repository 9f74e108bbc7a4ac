// What a cache table in front of a backup (the memcache table) offers to
// mctable's --warm and --audit: storing backup entries exactly as a
// lookup's cache fill stores them, and comparing what the cache holds with
// the backup.  Internal to the library and the command (not in include/).
//
// Both take entries as the backup's walk (Table::Sequence) or a lookup in
// the backup (LookupBackupMany) gives them, and
// handle them in pipelined rounds, as LookupMany does.  A key that a
// lookup would never cache (empty, outside the domain list, not
// expandable, not a valid memcached key) is reported as skipped, not as a
// failure.  Nothing here writes the backup.
#ifndef MCTABLE_TABLE_CACHE_MAINTENANCE_H_
#define MCTABLE_TABLE_CACHE_MAINTENANCE_H_

#include <span>
#include <string>
#include <vector>

#include "mctable/table.h"

namespace mctable {

class CacheMaintenance {
 public:
  virtual ~CacheMaintenance() = default;

  // The cache fill of a lookup that found each entry in the backup:
  // key_format, domain, key_digest, signing, flags, ttl and placement.
  // (*results)[i]: OK if stored, NotFound if skipped (see above), Refused
  // if over data_size_limit (a lookup does not store it either), an error
  // if memcached did not store it.
  virtual void FillMany(std::span<const KeyValue> entries, std::vector<Status>* results) = 0;

  enum class Verdict {
    kSame,        // the cache holds the backup's value
    kMissing,     // the cache has nothing (normal for a cache)
    kStale,       // the cache holds another value (in `cached`)
    kUnreadable,  // a bad or expired signature, or the server failed (`why`)
    kSkipped,     // a lookup would never cache this key
  };
  struct Comparison {
    Verdict verdict = Verdict::kSkipped;
    std::string cached;  // for kStale
    Status why;          // for kUnreadable
  };
  // Looks each entry's key up in the cache only (never the backup, never a
  // fill) and compares it with the entry's value.
  virtual void CompareMany(std::span<const KeyValue> entries, std::vector<Comparison>* results) = 0;

  // Looks the keys up in the backup only (for a backup that cannot be
  // walked: the entries of the keys an operator lists).  An error for
  // every key if the table has no backup.
  virtual void LookupBackupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) = 0;

  // Whether the table has a backup (--expire walks and cleans it; without
  // one there is nothing to walk).
  virtual bool has_backup() const = 0;
};

// The table's CacheMaintenance, or null if it is not a cache table.
inline CacheMaintenance* AsCacheMaintenance(Table* table) {
  return dynamic_cast<CacheMaintenance*>(table);
}

}  // namespace mctable

#endif  // MCTABLE_TABLE_CACHE_MAINTENANCE_H_
