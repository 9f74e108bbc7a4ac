// Endpoint parsing; see endpoint.h.
#include "memcache/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace mctable {
namespace {

Status Malformed(std::string_view spec, std::string_view origin, std::string_view why) {
  return Status::ConfigError(std::string(origin) + ": invalid memcache parameter value \"" +
                             std::string(spec) + "\": " + std::string(why));
}

bool IsIpv6Address(std::string_view host) {
  in6_addr address;
  return ::inet_pton(AF_INET6, std::string(host).c_str(), &address) == 1;
}

bool ValidService(std::string_view service) {
  if (service.empty()) return false;
  for (unsigned char c : service)
    if (c <= ' ' || c == ':' || c == '[' || c == ']' || c >= 0x7f) return false;
  return true;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (kind == Kind::kUnix) return path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + service;
  return host + ":" + service;
}

bool Endpoint::IsLocal() const {
  if (kind == Kind::kUnix || host == "localhost" || host == "::1") return true;
  in_addr v4;
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

Status ParseEndpoint(std::string_view spec, std::string_view origin, Endpoint* out) {
  *out = Endpoint();
  if (spec.starts_with("unix:")) {
    std::string_view path = spec.substr(5);
    if (path.empty()) return Malformed(spec, origin, "empty socket pathname");
    if (path.size() >= 108) return Malformed(spec, origin, "socket pathname too long");
    out->kind = Endpoint::Kind::kUnix;
    out->path = std::string(path);
    return Status::OK();
  }
  if (!spec.starts_with("inet:"))
    return Malformed(spec, origin, "expected inet:host:port or unix:/path/name");
  std::string_view rest = spec.substr(5);
  std::string_view host, service;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Malformed(spec, origin, "missing \"]\"");
    host = rest.substr(1, close - 1);
    if (close + 1 >= rest.size() || rest[close + 1] != ':')
      return Malformed(spec, origin, "expected \":port\" after \"]\"");
    service = rest.substr(close + 2);
    if (host.find(':') == std::string_view::npos)
      return Malformed(spec, origin, "\"[...]\" must hold an IPv6 address");
  } else {
    // The port follows the last ":", so an IPv6 address needs no brackets
    // (inet:::1:11211), as Postfix's host_port() reads it.
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return Malformed(spec, origin, "missing \":port\"");
    host = rest.substr(0, colon);
    service = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos && !IsIpv6Address(host))
      return Malformed(spec, origin, "a host with \":\" must be an IPv6 address");
  }
  if (host.empty()) return Malformed(spec, origin, "empty host");
  for (unsigned char c : host)
    if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']')
      return Malformed(spec, origin, "bad character in host");
  if (!ValidService(service)) return Malformed(spec, origin, "bad or empty port");
  out->host = std::string(host);
  out->service = std::string(service);
  return Status::OK();
}

}  // namespace mctable
