// ParsePgsqlServer and ParseMysqlServer (pgsql_connection.h,
// mysql_connection.h): how each table type names its servers.  Part of the
// library itself, not of the driver modules, so that a table is configured
// (and its configuration errors reported) before its driver is loaded.
#include <strings.h>

#include "table/sql/mysql_connection.h"
#include "table/sql/pgsql_connection.h"

namespace mctable {

ServerAddress ParsePgsqlServer(std::string_view text) {
  ServerAddress server;
  server.text = std::string(text);
  if (text.substr(0, 11) == "postgresql:") {
    server.kind = ServerAddress::Kind::kUri;
    server.host = std::string(text);
    return server;
  }
  std::string_view name = text;
  if (name.substr(0, 5) == "unix:" || name.substr(0, 5) == "inet:") name.remove_prefix(5);
  if (!name.empty() && name.front() != '/') {
    server.kind = ServerAddress::Kind::kInet;
    size_t colon = name.rfind(':');
    server.host = std::string(name.substr(0, colon));
    if (colon != std::string_view::npos) server.port = std::string(name.substr(colon + 1));
  } else {
    server.kind = ServerAddress::Kind::kUnix;
    server.host = std::string(name);
  }
  return server;
}

ServerAddress ParseMysqlServer(std::string_view text) {
  ServerAddress server;
  server.text = std::string(text);
  std::string_view name = text;
  if (name.substr(0, 5) == "unix:") {
    name.remove_prefix(5);
    server.kind = ServerAddress::Kind::kUnix;
  } else {
    if (name.substr(0, 5) == "inet:") name.remove_prefix(5);
    server.kind = ServerAddress::Kind::kInet;
  }
  size_t colon = name.rfind(':');
  server.host = std::string(name.substr(0, colon));
  if (colon != std::string_view::npos) server.port = std::string(name.substr(colon + 1));
  if (::strcasecmp(server.host.c_str(), "localhost") == 0) {
    // The MySQL way: "localhost" is the default UNIX-domain socket.
    server.kind = ServerAddress::Kind::kUnix;
    server.host.clear();
  }
  return server;
}

}  // namespace mctable
