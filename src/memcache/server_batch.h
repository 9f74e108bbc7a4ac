// ServerBatch: one server's share of a pipelined get, set or delete.
//
// The client gives each server the items (indices into the operation's
// keys) that live there, in input order.  The batch builds the request for
// a chunk of consecutive items -- multi-key "get" commands, or pipelined
// "set"/"delete" commands -- and parses the replies as they arrive,
// recording each item's result (into the operation's result vector, at the
// item's own index) as soon as memcached has given it (quiet meta writes,
// which memcached answers per chunk rather than per command, at the
// chunk's end).  A reply that does
// not fit the request (a VALUE for a key not asked for, a line of the
// wrong kind, a value over data_size_limit) stops the parse with an error
// and records nothing for that item.
#ifndef MCTABLE_MEMCACHE_SERVER_BATCH_H_
#define MCTABLE_MEMCACHE_SERVER_BATCH_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/lookup_result.h"
#include "mctable/status.h"
#include "memcache/connection.h"

namespace mctable {

struct SetRequest {
  std::string_view key;
  std::string_view data;
};

// A copy's flags and remaining TTL, as a meta get reports them.
struct StoredMeta {
  long long ttl = -1;  // seconds left; -1: no expiry
  uint32_t flags = 0;
};

// A copy written back by read-repair ("add": never over a present value).
struct RepairRequest {
  std::string_view key;
  std::string_view data;
  uint32_t flags = 0;
  long ttl = 0;  // as memcached takes it: 0 none, <= 30 days relative, else absolute
};

// What the batches need of the table's settings.
struct BatchLimits {
  size_t line_size_limit = 1024;
  size_t data_size_limit = 10240;
  std::string table_name;  // "memcache:FILE", for messages
  std::string origin;      // FILE, for Postfix-style "FILE: unexpected reply" messages
  // Bytes of pipelined set/delete commands per chunk; a command longer than
  // this goes alone.  Over TLS, memcached 1.6 stalls when a TLS record it
  // must read whole straddles its 16 KB read buffer (the rest waits,
  // decrypted, inside OpenSSL, and the socket never becomes readable
  // again): a chunk that fits that buffer is one record read at once.
  size_t pipelined_bytes = 256 * 1024;
};

// The pipelined_bytes for TLS connections: memcached's read buffer.
inline constexpr size_t kTlsPipelinedBytes = 16 * 1024;

class ServerBatch : public ReplyConsumer {
 public:
  explicit ServerBatch(const BatchLimits& limits) : limits_(limits) {}

  // The server's name for the results a batch sets on its own (quiet
  // writes); empty with a single server, whose reasons name none.
  void set_source(std::string source) { source_ = std::move(source); }

  // The items of this server, in the order they are sent.  Items may be
  // added (ejection moves keys here) while earlier ones are in flight.
  std::vector<size_t>& items() { return items_; }

  // Appends the request for items()[begin, end) and returns end (> begin).
  virtual size_t BuildChunk(size_t begin, std::string* out) = 0;
  // Records `status` as the result of items()[position].
  virtual void FailItem(size_t position, const Status& status) = 0;

  // Called before the chunk items()[begin, end) is sent.
  void StartChunk(size_t begin, size_t end) {
    next_ = begin;
    end_ = end;
    error_.clear();
    item_error_ = false;
  }
  // The position of the first item of the chunk without a result.
  size_t next() const { return next_; }
  // True when the last error concerns the reply to item next() itself (e.g.
  // its value is too long), rather than the connection.
  bool item_error() const { return item_error_; }
  bool protocol_error() const { return !error_.empty(); }
  // The warning for a failed try caused by a reply (Postfix's wording).
  const std::string& warning() const { return warning_; }
  std::string error() const override { return error_; }

 protected:
  Progress Error(std::string message, bool item_error = false, std::string warning = {});
  void LogReceived(std::string_view line) const;
  // The next reply line of `input`, logged; false with *stop set (need
  // more input, or the error for a line over line_size_limit) when none.
  bool NextLine(std::string_view input, std::string_view* line, size_t* length, Progress* stop);

  const BatchLimits& limits_;
  std::string source_;
  std::vector<size_t> items_;
  size_t next_ = 0;
  size_t end_ = 0;
  std::string error_;
  std::string warning_;
  bool item_error_ = false;
};

// results[i] of keys[i]: OK with value, NotFound, or an error set by FailItem;
// with `flags` (sized like results), (*flags)[i] is the found item's flags.
std::unique_ptr<ServerBatch> NewGetBatch(const BatchLimits& limits,
                                         std::span<const std::string_view> keys,
                                         std::vector<LookupResult>* results,
                                         std::vector<uint32_t>* flags = nullptr);
// results[i] of items[i]: OK (STORED) or an error.
std::unique_ptr<ServerBatch> NewSetBatch(const BatchLimits& limits, std::span<const SetRequest> items,
                                         uint32_t flags, long ttl, std::vector<Status>* results);
// results[i] of keys[i]: OK (DELETED), NotFound (NOT_FOUND) or an error.
std::unique_ptr<ServerBatch> NewDeleteBatch(const BatchLimits& limits,
                                            std::span<const std::string_view> keys,
                                            std::vector<Status>* results);
// Replicated writes (replicas > 1), as quiet meta commands, each chunk
// ended by "mn": results[i] OK (stored) or an error; for deletes, OK
// (deleted), NotFound or an error.  A chunk whose reply holds an error line
// fails every write of the chunk -- memcached's errors name no key, so any
// of them may be the one that failed -- and is not sent again: a resend
// could put an older value over a newer one written meanwhile.
std::unique_ptr<ServerBatch> NewQuietSetBatch(const BatchLimits& limits, std::span<const SetRequest> items,
                                              uint32_t flags, long ttl, std::vector<Status>* results);
std::unique_ptr<ServerBatch> NewQuietDeleteBatch(const BatchLimits& limits,
                                                 std::span<const std::string_view> keys,
                                                 std::vector<Status>* results);
// Replica reads: results[i] as NewGetBatch's, and meta[i] set for a hit.
std::unique_ptr<ServerBatch> NewMetaGetBatch(const BatchLimits& limits,
                                             std::span<const std::string_view> keys,
                                             std::vector<LookupResult>* results,
                                             std::vector<StoredMeta>* meta);
// results[i]: OK (STORED), NotFound (NOT_STORED: the server had a value) or an error.
std::unique_ptr<ServerBatch> NewRepairBatch(const BatchLimits& limits,
                                            std::span<const RepairRequest> items,
                                            std::vector<Status>* results);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_SERVER_BATCH_H_
