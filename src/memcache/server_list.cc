#include "memcache/server_list.h"

#include <set>

#include "common/brace_syntax.h"
#include "memcache/continuum.h"

namespace mctable {
namespace {

Status Bad(std::string_view origin, std::string_view element, std::string_view why) {
  return Status::ConfigError(std::string(origin) + ": invalid memcache parameter value \"" +
                             std::string(element) + "\": " + std::string(why));
}

bool ParseWeight(std::string_view text, uint32_t* weight) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t w = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    w = w * 10 + static_cast<uint32_t>(c - '0');
  }
  if (w < 1 || w > kMaxServerWeight) return false;
  *weight = w;
  return true;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

// One element: "ENDPOINT" or "{ ENDPOINT attribute=value ... }".
Status ParseServer(std::string_view element, std::string_view origin, ServerConfig* server) {
  std::vector<std::string> parts;
  if (element.starts_with("{")) {
    std::string inner;
    std::string error = StripBraces(element, &inner);
    if (!error.empty()) return Bad(origin, element, error);
    parts = SplitOutsideBraces(inner);
    if (parts.empty()) return Bad(origin, element, "no endpoint inside \"{}\"");
  } else {
    parts.emplace_back(element);
  }
  Status s = ParseEndpoint(parts[0], origin, &server->endpoint);
  if (!s.ok()) return s;
  bool named = false, weighted = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view attribute = parts[i];
    size_t eq = attribute.find('=');
    std::string_view key = attribute.substr(0, eq == std::string_view::npos ? attribute.size() : eq);
    std::string_view value = eq == std::string_view::npos ? "" : attribute.substr(eq + 1);
    if (key == "weight" && eq != std::string_view::npos) {
      if (weighted) return Bad(origin, element, "weight given twice");
      if (!ParseWeight(value, &server->weight))
        return Bad(origin, element, "weight must be a number from 1 to " + std::to_string(kMaxServerWeight));
      weighted = true;
    } else if (key == "name" && eq != std::string_view::npos) {
      if (named) return Bad(origin, element, "name given twice");
      if (!ValidName(value)) return Bad(origin, element, "name must be 1 to 255 printable characters");
      server->name = std::string(value);
      named = true;
    } else {
      return Bad(origin, element,
                 "unknown attribute \"" + std::string(attribute) + "\" (expected weight=N or name=TEXT)");
    }
  }
  if (!named) server->name = TwemproxyPointName(server->endpoint);
  return Status::OK();
}

}  // namespace

Status ParseServerList(std::string_view value, std::string_view origin,
                       std::vector<ServerConfig>* servers) {
  servers->clear();
  std::set<std::string> names;
  size_t pos = 0;
  for (std::string_view element; !(element = NextTokenOutsideBraces(value, &pos)).empty();) {
    if (servers->size() == kMaxServers)
      return Bad(origin, value.substr(0, 60), "more than " + std::to_string(kMaxServers) + " servers");
    ServerConfig server;
    Status s = ParseServer(element, origin, &server);
    if (!s.ok()) return s;
    if (!names.insert(server.name).second)
      return Bad(origin, element, "two servers are named \"" + server.name + "\" on the continuum");
    servers->push_back(std::move(server));
  }
  if (servers->empty()) return Bad(origin, value, "no server");
  return Status::OK();
}

}  // namespace mctable
