// MemcacheClient: get, set and delete against memcached with the memcache
// table's error controls (timeout, max_try, retry_pause, line and data
// size limits), pipelined.
//
// Every call takes a batch; a single operation is a batch of one.  Keys
// must already be valid wire keys (see InvalidMemcacheKeyReason).  Gets are
// sent as multi-key "get" commands, sets and deletes as pipelined
// commands, in chunks; results come back in input order, one per key.
//
// Retries: each key gets up to max_try tries, with retry_pause seconds of
// sleep before each retry and a fresh connection after a failed try; a try
// (connect plus the chunk's exchange) is bounded by timeout seconds.  A
// server that accepts no connection is not retried.  When a key has used
// up its tries because of a connection-level failure, the keys after it in
// the batch fail with the same reason instead of waiting again.  A reply
// that concerns one key only (a value over data_size_limit, NOT_STORED,
// SERVER_ERROR) costs that key its tries; the keys after it go on.  A key is
// reported found, stored or deleted only on memcached's own reply for it.
//
// The connection is opened on first use and kept for later calls.  The
// server set is a list so that several servers with consistent hashing can
// be added here without changing the table code.
#ifndef MCTABLE_MEMCACHE_CLIENT_H_
#define MCTABLE_MEMCACHE_CLIENT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/lookup_result.h"
#include "mctable/status.h"
#include "memcache/connection.h"
#include "memcache/endpoint.h"

namespace mctable {

struct MemcacheSettings {
  Endpoint endpoint;
  int timeout_seconds = 2;
  int max_try = 2;
  int retry_pause_seconds = 1;
  size_t line_size_limit = 1024;
  size_t data_size_limit = 10240;
  std::string table_name;  // "memcache:FILE" for messages
  std::string origin;      // FILE, for Postfix-style "FILE: unexpected reply" messages
};

struct SetRequest {
  std::string_view key;
  std::string_view data;
};

class MemcacheClient {
 public:
  explicit MemcacheClient(MemcacheSettings settings);
  ~MemcacheClient();

  // results[i]: OK with value, NotFound, or TempError(reason).
  void Get(std::span<const std::string_view> keys, std::vector<LookupResult>* results);
  // results[i]: OK (STORED) or TempError(reason).
  void Set(std::span<const SetRequest> items, uint32_t flags, long ttl, std::vector<Status>* results);
  // results[i]: OK (DELETED), NotFound (NOT_FOUND) or TempError(reason).
  void Delete(std::span<const std::string_view> keys, std::vector<Status>* results);

  const MemcacheSettings& settings() const { return settings_; }

  class Batch;  // one pipelined operation; see client.cc

 private:
  void Run(Batch* batch);

  MemcacheSettings settings_;
  std::vector<std::unique_ptr<Connection>> servers_;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_CLIENT_H_
