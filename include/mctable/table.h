// Table: the lookup-table interface every table type implements (Postfix's
// DICT).  A table maps string keys to string values; it is named
// "type:name" (memcache:/etc/postfix/mc.cf, lmdb:/etc/postfix/aliases).
//
// Contract
// - Lookup returns OK with *value set, NotFound, or an error.  A table folds
//   the key to lower case itself when OpenOptions::fold_keys is set, exactly
//   where Postfix does: callers pass keys as the user typed them.
// - Update and Delete exist only on tables opened read-write; otherwise they
//   return Refused.  Delete returns NotFound when there was nothing to delete.
// - Sequence(kFirst) then Sequence(kNext) visit every entry once, ending with
//   NotFound; types that cannot do it return NotSupported.
// - The batch calls (LookupMany, UpdateMany, DeleteMany) give the same
//   results as calling the single ones in order; types with a network round
//   trip override them to pipeline.
// - No method throws.  A Table is used by one thread at a time.
#ifndef MCTABLE_TABLE_H_
#define MCTABLE_TABLE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/export.h"
#include "mctable/lookup_result.h"
#include "mctable/status.h"

namespace mctable {

// How to treat the terminating NUL byte in keys and values of file-based
// tables (Postfix's DICT_FLAG_TRY0NULL / DICT_FLAG_TRY1NULL, postmap -n/-N).
enum class NulMode {
  kTypeDefault,  // what Postfix does for the type when neither -N nor -n is given
  kInclude,      // -N: keys and values carry a trailing NUL
  kOmit,         // -n: no trailing NUL
};

// What to do when a created or bulk-loaded table gets a key twice.
enum class DuplicateMode {
  kWarn,     // keep the first, warn (Postfix's default)
  kReplace,  // -r: the later one wins, silently
  kIgnore,   // -w: keep the first, silently
};

struct OpenOptions {
  bool read_write = false;        // O_RDWR rather than O_RDONLY
  bool create = false;            // create the table (file types), empty if truncate
  bool truncate = false;          // start from an empty table (postmap build mode)
  bool fold_keys = true;          // DICT_FLAG_FOLD_FIX; postmap -f turns it off
  // smtputf8_enable (Postfix's DICT_FLAG_UTF8_REQUEST with util_utf8_enable):
  // keys fold with Unicode case folding, and keys and values must be valid
  // UTF-8 (a table says so with a warning and skips the key).  The command
  // takes it from main.cf; off, keys fold as ASCII and bytes are opaque.
  bool utf8 = false;
  bool security_sensitive = false;  // DICT_FLAG_NO_UNAUTH: memcache refuses to open
  NulMode nul_mode = NulMode::kTypeDefault;
  DuplicateMode duplicates = DuplicateMode::kWarn;
  std::string config_dir = "/etc/postfix";  // where main.cf is (postmap -c)
  // Permissions of a table file this open creates new (file types); -1:
  // 0644 less the process umask.  A rebuild of an existing table keeps that
  // file's mode, owner and group instead.  mctable, like postmap, passes
  // 0644 less the group and other read bits its source file lacks (-p: 0644).
  int new_file_mode = -1;
  // One writer for the whole session, as postmap -i (set by
  // BuildTableFromReader for incremental loads).  A hash or btree table is
  // then changed in place under an exclusive lock held until Close(), as
  // postmap -i does, so other writers waiting for it see the change; the
  // file is saved first, and a failed write (a full disk) puts the saved
  // bytes back, where half-written Berkeley DB pages would leave the table
  // unreadable; a table destroyed without Close() is put back the same way.
  bool bulk_update = false;
  // An update the table refuses (Status::Refused: a key outside a memcache
  // table's domain list, a non-UTF-8 key...) is not logged by the table:
  // its message is the whole warning, naming the table and the key, and
  // the caller logs it with where the entry came from (BuildTableFromReader
  // sets it for -i, which adds the input line).
  bool caller_logs_refusals = false;
};

enum class SequenceOp { kFirst, kNext };

struct KeyValue {
  std::string key;
  std::string value;
};

// Work a table did behind its lookups since it was opened, for metrics:
// lookups passed on to a backup table, and backup answers written back to
// the cache in front of it; with replicas (memcache), keys read from another
// copy after a copy failed, copies written back to a server that lacked
// them, and writes that reached some copies but not all.  Types without a
// cache report zeros.
struct TableCounters {
  uint64_t backup_lookups = 0;
  uint64_t cache_fills = 0;
  uint64_t replica_failovers = 0;
  uint64_t read_repairs = 0;
  uint64_t writes_missed_copy = 0;
};

class MCTABLE_EXPORT Table {
 public:
  Table(std::string type, std::string name) : type_(std::move(type)), name_(std::move(name)) {}
  virtual ~Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  // "type:name", the form used in every message about this table.
  std::string full_name() const { return type_ + ":" + name_; }

  virtual Status Lookup(std::string_view key, std::string* value) = 0;
  virtual Status Update(std::string_view key, std::string_view value);
  virtual Status Delete(std::string_view key);
  virtual Status Sequence(SequenceOp op, std::string* key, std::string* value);

  // Batch forms.  results->size() becomes keys.size() (entries.size()).
  virtual void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results);
  virtual void UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results);
  virtual void DeleteMany(std::span<const std::string> keys, std::vector<Status>* results);

  // How many entries a batch call should carry to pay off: 1 for types
  // whose batch calls are plain loops (callers then keep warnings in input
  // order), more for types that pipeline.
  virtual size_t preferred_batch_size() const { return 1; }

  virtual TableCounters counters() const { return {}; }

  // Makes pending writes durable and releases locks (file types).  Called
  // once by the owner before destruction when the result matters.
  virtual Status Close() { return Status::OK(); }

 private:
  std::string type_;
  std::string name_;
};

// Opens "type:name".  On success *table is set; otherwise the Status says
// why (unknown type, bad configuration, missing file...).
MCTABLE_EXPORT Status OpenTable(std::string_view type_and_name, const OpenOptions& options,
                 std::unique_ptr<Table>* table);

}  // namespace mctable

#endif  // MCTABLE_TABLE_H_
