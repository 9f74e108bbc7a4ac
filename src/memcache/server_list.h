// ServerList: the memcache parameter's list of memcached servers.
//
//   memcache = inet:10.0.0.1:11211, inet:10.0.0.2:11211 unix:/run/mc.sock
//   memcache = { inet:10.0.0.1:11211 weight=2 name=mc1 }, inet:10.0.0.2:11211
//
// Endpoints are separated by commas and/or whitespace.  An endpoint with
// attributes goes in braces (Postfix's grouping syntax): weight=N (1 to
// 10000, default 1) and name=TEXT, the server's name on the ketama
// continuum, as the optional name of a twemproxy server line; without it
// the server is named as twemproxy names it (TwemproxyPointName).  Each
// endpoint is parsed by ParseEndpoint (endpoint.h).
//
// Errors are ConfigErrors naming the file and the offending element: an
// empty list, a bad endpoint or attribute, more than kMaxServers servers,
// or two servers with the same name (twemproxy refuses that too: their
// points would coincide).
#ifndef MCTABLE_MEMCACHE_SERVER_LIST_H_
#define MCTABLE_MEMCACHE_SERVER_LIST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"
#include "memcache/endpoint.h"

namespace mctable {

struct ServerConfig {
  Endpoint endpoint;
  uint32_t weight = 1;
  std::string name;  // its name on the continuum
};

constexpr size_t kMaxServers = 1000;
constexpr uint32_t kMaxServerWeight = 10000;

// Parses `value` (the memcache parameter) from file `origin`.
Status ParseServerList(std::string_view value, std::string_view origin,
                       std::vector<ServerConfig>* servers);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_SERVER_LIST_H_
