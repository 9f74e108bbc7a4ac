// ExactKeyCache: a memcache table's entries by the exact key a memcache
// client sends, for a front that speaks the memcache protocol itself
// (mctabled's memcache listener).  The client has already applied its own
// key_format, case folding and domain list, so none of the table's is
// applied here; everything else the table has is: several servers and
// their placement, TLS and authentication, key_digest, signed values and
// the backup table.
//
// Contract
// - GetExact: OK with the value (signature removed) and the flags
//   memcached holds; NotFound; Refused when the key cannot be used (too
//   long without key_digest, a space or control byte), with the reason; or
//   an error when memcached (or the backup) failed.  A miss, or a value
//   whose signature does not verify (logged), is looked up in the backup
//   with the same exact key and written back with the table's own flags
//   and ttl.
// - SetExact: the backup first when there is one (its answer is the
//   result; memcached failing to follow is a warning and the key is
//   removed from memcached), else memcached's answer.  The client's flags
//   and ttl (memcached's meaning: 0 never expires, up to 30 days relative,
//   else a unix time) are stored as given.  A value over max_value_size()
//   is Refused, never cut; so is one with a NUL byte when there is a
//   backup (Postfix's table formats end a value at its first NUL).
// - DeleteExact: OK when the backup or memcached had the key, NotFound when
//   neither had it, an error when one of them failed.
// - The table must be opened read-write for SetExact and DeleteExact
//   (otherwise Refused).  Like Table, used by one thread at a time; no
//   method throws.
#ifndef MCTABLE_EXACT_KEY_CACHE_H_
#define MCTABLE_EXACT_KEY_CACHE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/export.h"
#include "mctable/status.h"
#include "mctable/table.h"

namespace mctable {

struct CachedValue {
  Status status;       // OK (found), NotFound, Refused (bad key) or an error
  std::string value;   // when found
  uint32_t flags = 0;  // when found
};

struct CacheItem {
  std::string key;
  std::string value;
  uint32_t flags = 0;
  int64_t ttl = 0;  // memcached's exptime, passed through
};

class MCTABLE_EXPORT ExactKeyCache {
 public:
  virtual ~ExactKeyCache() = default;

  // Why `key` cannot be used as it is, or OK.
  virtual Status CheckExactKey(std::string_view key) const = 0;
  // The largest value SetExact takes (data_size_limit less what signing adds).
  virtual size_t max_value_size() const = 0;

  // results->size() becomes keys.size() (items.size()).
  virtual void GetExact(std::span<const std::string> keys, std::vector<CachedValue>* results) = 0;
  virtual void SetExact(std::span<const CacheItem> items, std::vector<Status>* results) = 0;
  virtual void DeleteExact(std::span<const std::string> keys, std::vector<Status>* results) = 0;
};

// The table's exact-key access, or nullptr when its type has none (only
// memcache tables have it).
MCTABLE_EXPORT ExactKeyCache* AsExactKeyCache(Table* table);

}  // namespace mctable

#endif  // MCTABLE_EXACT_KEY_CACHE_H_
