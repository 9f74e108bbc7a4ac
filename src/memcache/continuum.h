// Continuum: which server of a list holds a key, placed as twemproxy
// (nutcracker) places it with `distribution: ketama` or `modula`.
//
// ketama: each live server gets points on a 32-bit circle in proportion
// to its weight: floor(weight / total_live_weight * 40 * live_servers) * 4
// points (computed in single precision, as twemproxy does), named
// "NAME-0" .. "NAME-(points/4 - 1)", four points per name from the four
// little-endian words of its MD5 digest.  A key belongs to the first point
// at or after its hash, wrapping to the first point.  NAME is the server's
// point name (TwemproxyPointName).
// modula: the live servers in twemproxy's order (by name: shorter names
// first, then byte by byte), each repeated `weight` times; a key belongs
// to entry hash % entries.
//
// With a single configured server every key goes to it, unhashed (as
// twemproxy).  Build() takes the set of live servers, so ejection is a
// rebuild without the ejected ones.  Points of equal value (a 32-bit
// collision between two names) are ordered by server index here; twemproxy
// leaves their order to qsort.
//
// Build is O(points log points); ServerFor is O(log points), no allocation.
#ifndef MCTABLE_MEMCACHE_CONTINUUM_H_
#define MCTABLE_MEMCACHE_CONTINUUM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "memcache/endpoint.h"
#include "memcache/key_hash.h"

namespace mctable {

enum class Distribution { kKetama, kModula };

struct ServerPoint {
  std::string name;     // the point name (TwemproxyPointName)
  uint32_t weight = 1;  // >= 1
};

class Continuum {
 public:
  // `live[i]` says whether servers[i] takes keys; servers.size() == live.size().
  void Build(Distribution distribution, const std::vector<ServerPoint>& servers,
             const std::vector<bool>& live);

  // The index (into Build's list) of the server for a key hash.  Only valid
  // when has_live_servers().
  size_t ServerFor(uint32_t hash) const;
  bool has_live_servers() const { return !points_.empty(); }
  // Replicas: the servers of `copies` copies of a key, first ServerFor(hash)
  // and then, for ketama, the next distinct servers along the circle, for
  // modula the next servers in list order (index + 1, wrapping over
  // server_count).  Fewer when fewer distinct servers are live.
  void CopiesFor(uint32_t hash, size_t copies, size_t server_count, std::vector<size_t>* out) const;

  // ketama: the points, sorted by value (for tests).
  struct Point {
    uint32_t value;
    uint32_t server;
  };
  const std::vector<Point>& points() const { return points_; }

 private:
  size_t FirstPointFor(uint32_t hash) const;

  Distribution distribution_ = Distribution::kKetama;
  std::vector<Point> points_;  // ketama: the circle; modula: value unused
  std::vector<uint32_t> values_;  // ketama: points_[i].value, packed for the search
};

// The name twemproxy gives a server when its configuration gives none:
// "host" when the port is 11211 (libmemcached's convention), else
// "host:port", with host and port as written; a unix socket is named by
// its path followed by ":" (twemproxy keeps the separator of the weight).
std::string TwemproxyPointName(const Endpoint& endpoint);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_CONTINUUM_H_
