// Endpoint: where a memcached server listens, parsed from the memcache
// parameter: "inet:host:port", "inet:[ipv6-address]:port",
// "inet:ipv6-address:port" (the port follows the last ":", as in Postfix:
// inet:::1:11211 is [::1]:11211) or "unix:/path/to/socket".  The port may
// be a number or a service name; the host may be a name or an address.
// Names are resolved when a table is opened (memcache/client.h), not
// here, so a configuration can be parsed without the network.
#ifndef MCTABLE_MEMCACHE_ENDPOINT_H_
#define MCTABLE_MEMCACHE_ENDPOINT_H_

#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

struct Endpoint {
  enum class Kind { kInet, kUnix };
  Kind kind = Kind::kInet;
  std::string host;     // inet: without the brackets of an IPv6 address
  std::string service;  // inet: port number or service name
  std::string path;     // unix: socket path

  // "host:port", "[v6]:port" or the socket path, as used in messages.
  std::string ToString() const;
  // A unix socket, "localhost", 127.0.0.0/8 or ::1: the bytes stay on this host.
  bool IsLocal() const;
};

// Parses `spec`.  A malformed one is a ConfigError naming `origin` (the
// configuration file) and the value.
Status ParseEndpoint(std::string_view spec, std::string_view origin, Endpoint* out);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_ENDPOINT_H_
