// ServerPool: the servers of a memcache table, where each key lives, and
// which servers are ejected, with twemproxy's rules.
//
// Placement: the key hashed (only its part inside hash_tag's two
// characters when it has such a part), then the continuum (continuum.h).
// One configured server takes every key, unhashed.
//
// Ejection (auto_eject_hosts): every failed try on a server counts; a
// success resets the count.  When the count reaches server_failure_limit
// the server is ejected: it leaves the continuum for server_retry_timeout
// seconds, its count starts again from zero, and its keys go to the
// servers of the rebuilt continuum.  It comes back at the first Refresh()
// after that time.  Without auto_eject_hosts nothing is counted and the
// continuum never changes.  The state lives in the pool, i.e. in one
// opened table of one process, as it lives in one twemproxy process.
//
// Replicas (replicas > 1): each key is held by `replicas` servers, its
// copies, placed on the continuum of every configured server so that they
// do not move when one is ejected: the first where twemproxy places it
// while every server is up, the others next along the continuum (ketama)
// or next in list order (modula).  Ejection then only says which copies
// are skipped for a while; the client fails over to the next copy.
//
// Not thread-safe: one pool per table, used by one thread.
#ifndef MCTABLE_MEMCACHE_SERVER_POOL_H_
#define MCTABLE_MEMCACHE_SERVER_POOL_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "memcache/continuum.h"
#include "memcache/key_hash.h"
#include "memcache/server_list.h"

namespace mctable {

struct PlacementSettings {
  Distribution distribution = Distribution::kKetama;
  KeyHash hash = KeyHash::kMd5;
  std::string hash_tag;  // empty, or the two characters around the hashed part
  bool auto_eject_hosts = false;
  int server_failure_limit = 2;
  int server_retry_timeout_seconds = 30;
  int replicas = 1;  // copies of each key, 1 .. number of servers
};

class ServerPool {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  ServerPool(std::vector<ServerConfig> servers, PlacementSettings placement);

  size_t size() const { return servers_.size(); }
  const ServerConfig& server(size_t i) const { return servers_[i]; }
  const PlacementSettings& placement() const { return placement_; }

  // Takes back the ejected servers whose retry time has come.
  void Refresh(TimePoint now);
  // The server that holds `key`; false when every server is ejected.
  bool ServerFor(std::string_view key, size_t* index) const;
  // Replicas: the servers of the key's copies, in the order they are read,
  // ejected ones included (the caller skips them).  Always replicas() long.
  void CopiesFor(std::string_view key, std::vector<size_t>* copies) const;
  // Replicas: the server of the key's first copy, CopiesFor's first entry,
  // found as fast as ServerFor (reads ask the other copies only on a miss).
  size_t FirstCopyFor(std::string_view key) const;
  size_t replicas() const { return static_cast<size_t>(placement_.replicas); }
  bool ejected(size_t i) const { return !live_[i]; }
  size_t live_servers() const;

  // A failed try on server i.  True when it ejected the server (the
  // continuum is rebuilt without it).
  bool RecordFailure(size_t i, TimePoint now);
  void RecordSuccess(size_t i) { failures_[i] = 0; }

 private:
  void Rebuild();
  // The hash that places `key` (its hash_tag part when it has one).
  uint32_t PlacementHash(std::string_view key) const;

  std::vector<ServerConfig> servers_;
  std::vector<ServerPoint> points_;
  PlacementSettings placement_;
  Continuum continuum_;
  Continuum all_servers_;  // replicas: the continuum with every server live
  std::vector<bool> live_;
  std::vector<int> failures_;
  std::vector<TimePoint> retry_at_;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_SERVER_POOL_H_
