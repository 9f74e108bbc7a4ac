// MemcacheClient: get, set and delete against one or several memcached
// servers with the memcache table's error controls (timeout, max_try,
// retry_pause, line and data size limits), pipelined, and with several
// servers placed and ejected as twemproxy does (server_pool.h).
//
// Every call takes a batch; a single operation is a batch of one.  Keys
// must already be valid wire keys (see InvalidMemcacheKeyReason).  The
// batch is split by server, and every server's share is sent at once, one
// connection per server, all driven by one poll() loop: a slow or dead
// server delays only the call as a whole, by at most its own bound, and
// never changes another server's answers.  Results come back in input
// order, one per key.
//
// Per server, as with a single server: each key gets up to max_try tries,
// with retry_pause seconds before each retry and a fresh connection after
// a failed try; a try (connect plus one chunk's exchange) is bounded by
// timeout seconds.  A server that accepts no connection is not retried
// (unless auto_eject_hosts is on: then a refusal is a failed try like the
// others, so that a server that is down gets ejected).  When a key has
// used up its tries because of a connection-level failure, the keys of the
// same server after it fail with the same reason instead of waiting again.
// A reply that concerns one key only (a value over data_size_limit,
// NOT_STORED, SERVER_ERROR) costs that key its tries; the keys after it go
// on.  A key is reported found, stored or deleted only on memcached's own
// reply for it.  So one call takes at most
// timeout x max_try + retry_pause x (max_try - 1) per server -- per key
// that has to move after an ejection, once more on its new server.
//
// With auto_eject_hosts, every failed try counts against its server; at
// server_failure_limit the server is ejected and the keys it has not
// answered go at once to the servers the rebuilt continuum names.  With
// no live server left, keys fail at once ("no live memcache server: every
// server is ejected") until the first retry time has passed.
//
// With several servers, error reasons start with the server
// ("127.0.0.1:11212: Connection timed out"); with one they are as before.
// Connections are opened on first use and kept for later calls.
//
// Replicas (placement.replicas > 1, client_replicas.cc): every key has
// that many copies on distinct servers; reads fail over from copy to copy
// and write back to a copy that came back empty, writes go to every copy
// (as quiet meta commands, server_batch.h) and fail unless every copy took
// them.
//
// Trust (connection_security.h): with a TlsContext every inet server is
// reached over TLS (unix sockets stay plain); a failed handshake is a
// failed try like a failed connect.  With credentials, every new
// connection authenticates (memcached's ASCII authentication: a "set"
// whose data is "USER PASSWORD") before its first command, within the
// same try.  A server that rejects the credentials fails that server's
// keys at once with "authentication failed for memcache server HOST:PORT
// as USER": no retry and no ejection count, since trying the same
// password again cannot succeed.  The password is never logged and is
// wiped when the client is destroyed.
#ifndef MCTABLE_MEMCACHE_CLIENT_H_
#define MCTABLE_MEMCACHE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/lookup_result.h"
#include "mctable/status.h"
#include "memcache/auth_exchange.h"
#include "memcache/connection.h"
#include "memcache/connection_security.h"
#include "memcache/dispatch_io.h"
#include "memcache/tls_context.h"
#include "memcache/server_batch.h"
#include "memcache/server_list.h"
#include "memcache/server_pool.h"

namespace mctable {

struct MemcacheSettings {
  std::vector<ServerConfig> servers;  // at least one
  PlacementSettings placement;
  int timeout_seconds = 2;
  int max_try = 2;
  int retry_pause_seconds = 1;
  size_t line_size_limit = 1024;
  size_t data_size_limit = 10240;
  std::string table_name;  // "memcache:FILE" for messages
  std::string origin;      // FILE, for Postfix-style "FILE: unexpected reply" messages
  std::shared_ptr<const TlsContext> tls;  // null: plain connections
  AuthCredentials auth;                   // user empty: no authentication
};

// What replicas did since the client was created, for the table's counters.
struct ReplicaCounters {
  uint64_t failovers = 0;           // keys asked of another copy after a copy failed
  uint64_t read_repairs = 0;        // copies written back to a server that lacked them
  uint64_t writes_missed_copy = 0;  // updates and deletes that reached some copies, not all
};

class MemcacheClient {
 public:
  // io: the clock, poll and server links (null: the real ones); not
  // owned, it must outlive the client.
  explicit MemcacheClient(MemcacheSettings settings, DispatchIo* io = nullptr);
  ~MemcacheClient();

  // results[i]: OK with value, NotFound, or TempError(reason).  With
  // `flags`, (*flags)[i] is the flags memcached holds for a found key.
  void Get(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
           std::vector<uint32_t>* flags = nullptr);
  // results[i]: OK (STORED) or TempError(reason).
  void Set(std::span<const SetRequest> items, uint32_t flags, long ttl, std::vector<Status>* results);
  // results[i]: OK (DELETED), NotFound (NOT_FOUND) or TempError(reason).
  void Delete(std::span<const std::string_view> keys, std::vector<Status>* results);

  const MemcacheSettings& settings() const { return settings_; }
  const ServerPool& pool() const { return pool_; }
  const ReplicaCounters& replica_counters() const { return replica_counters_; }

 private:
  struct ServerRun;
  class Dispatch;
  using BatchFactory = std::function<std::unique_ptr<ServerBatch>()>;
  using WriteBatchFactory = std::function<std::unique_ptr<ServerBatch>(
      std::span<const std::string_view> items, std::vector<Status>* results)>;

  // Splits `keys` (the wire keys of the operation's items) by server and
  // runs every server's share to the end.  With `assigned` (one server per
  // key), each key goes to its server only and fails there if it fails.
  void Run(std::span<const std::string_view> keys, const BatchFactory& new_batch,
           std::span<const size_t> assigned = {});

  // Replicas (client_replicas.cc).
  void GetReplicated(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
                     std::vector<uint32_t>* flags);
  // Round 0 while a server is ejected: each key's first copy on a live
  // server (first_asked_[i], kNoServer when none is live).
  void GetFirstUsableCopies(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
                            std::vector<uint32_t>* flags);
  // The later rounds, for the keys in pending_ (not found or failed on
  // the copy first asked): the next copies, then read-repair.
  void FailOver(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
                std::vector<uint32_t>* flags);
  void WriteReplicated(std::span<const std::string_view> keys, bool is_delete,
                       const WriteBatchFactory& new_batch, std::vector<Status>* results);
  // Fills copies_ for `keys` and clears failed_in_call_.
  void PlaceCopies(std::span<const std::string_view> keys);
  // Advances (*next)[key] to the key's next copy on a usable server
  // (copies_[key * replicas + c]).
  bool NextUsableCopy(size_t key, std::vector<uint32_t>* next, size_t* server) const;

  MemcacheSettings settings_;
  DispatchIo& io_;
  // "set KEY 0 -1 LEN\r\nUSER PASSWORD\r\n" (empty without auth): the
  // negative expiry means a server without -Y, which would store it, keeps
  // nothing readable.
  std::string auth_request_;
  BatchLimits limits_;
  ServerPool pool_;
  std::vector<std::unique_ptr<ServerLink>> connections_;  // one per server
  std::vector<AuthReply> auth_replies_;                   // one per server
  std::vector<std::string_view> set_keys_;                // Set's keys, reused
  // Replicas: servers that failed during the current call (not asked again
  // in it), each key's copies ([key * replicas + c]), counters.  Reads:
  // the server each key was first asked of, and the keys to fail over.
  static constexpr size_t kNoServer = static_cast<size_t>(-1);
  std::vector<bool> failed_in_call_;
  std::vector<size_t> copies_;
  std::vector<size_t> key_copies_;
  std::vector<size_t> first_asked_;
  std::vector<size_t> pending_;
  // Writes: one item per key and copy (Set's requests, the wire keys, the
  // results), reused from call to call.
  std::vector<SetRequest> set_copies_;
  std::vector<std::string_view> copy_keys_;
  std::vector<Status> copy_results_;
  ReplicaCounters replica_counters_;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_CLIENT_H_
