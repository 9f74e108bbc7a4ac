// Parsing of mctabled's maps, listeners and limits; see daemon_config.h.
#include "daemon/daemon_config.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <set>

#include "common/read_file.h"

namespace mctable {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A socketmap request is "NAME KEY": a name may not hold whitespace, and
// '=' separates it from the table on the command line.
bool ValidMapName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f || c == '=') return false;
  return true;
}

// "HOST:PORT" or "[V6]:PORT".
bool SplitHostPort(std::string_view text, std::string* host, std::string* port) {
  size_t colon;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(text.substr(0, colon));
  }
  *port = std::string(text.substr(colon + 1));
  if (host->empty() || port->empty()) return false;
  for (char c : *port)
    if (c < '0' || c > '9') return false;
  return port->size() <= 5 && std::stoi(*port) <= 65535;
}

Status ParsePositive(std::string_view what, std::string_view text, long max, long* value) {
  std::string s(text);
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v <= 0 || v > max)
    return Status::ConfigError("bad " + std::string(what) + " value \"" + s +
                               "\": expected a number from 1 to " + std::to_string(max));
  *value = v;
  return Status::OK();
}

Status ApplyDirective(std::string_view keyword, std::string_view value, DaemonConfig* config) {
  long n = 0;
  Status s;
  if (keyword == "map") {
    MapSpec map;
    s = ParseMapSpec(value, &map);
    if (s.ok()) config->maps.push_back(std::move(map));
  } else if (keyword == "listen") {
    ListenerSpec listener;
    s = ParseListenerSpec(value, &listener);
    if (s.ok()) config->listeners.push_back(std::move(listener));
  } else if (keyword == "config_directory") {
    config->config_dir = std::string(value);
    config->config_dir_given = true;
  } else if (keyword == "idle_timeout") {
    s = ParsePositive(keyword, value, 86400, &n);
    if (s.ok()) config->idle_timeout_seconds = static_cast<int>(n);
  } else if (keyword == "request_timeout") {
    s = ParsePositive(keyword, value, 3600, &n);
    if (s.ok()) config->request_timeout_seconds = static_cast<int>(n);
  } else if (keyword == "max_clients") {
    s = ParsePositive(keyword, value, 1000000, &n);
    if (s.ok()) config->max_clients = static_cast<int>(n);
  } else if (keyword == "max_batch") {
    s = ParsePositive(keyword, value, 65536, &n);
    if (s.ok()) config->max_batch = static_cast<size_t>(n);
  } else if (keyword == "max_pipeline") {
    s = ParsePositive(keyword, value, 4096, &n);
    if (s.ok()) config->max_pipeline = static_cast<size_t>(n);
  } else if (keyword == "max_queue") {
    s = ParsePositive(keyword, value, 10000000, &n);
    if (s.ok()) config->max_queue = static_cast<size_t>(n);
  } else if (keyword == "socket_mode") {
    std::string v(value);
    char* end = nullptr;
    unsigned long mode = std::strtoul(v.c_str(), &end, 8);
    if (v.empty() || *end != '\0' || mode > 0777)
      return Status::ConfigError("bad socket_mode value \"" + v + "\": expected octal, e.g. 0660");
    config->socket_mode = static_cast<unsigned>(mode);
  } else if (keyword == "syslog") {
    if (value == "yes")
      config->syslog = true;
    else if (value == "no")
      config->syslog = false;
    else
      return Status::ConfigError("bad syslog value \"" + std::string(value) + "\": expected yes or no");
  } else {
    return Status::ConfigError("unknown directive \"" + std::string(keyword) + "\"");
  }
  return s;
}

}  // namespace

const MapSpec* DaemonConfig::FindMap(std::string_view name) const {
  for (const MapSpec& m : maps)
    if (m.name == name) return &m;
  return nullptr;
}

Status ParseMapSpec(std::string_view text, MapSpec* map) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return Status::ConfigError("bad map \"" + std::string(text) + "\": expected NAME=TYPE:TABLE");
  std::string_view name = text.substr(0, eq), table = text.substr(eq + 1);
  if (!ValidMapName(name))
    return Status::ConfigError("bad map \"" + std::string(text) +
                               "\": a map name is printable, without spaces or '='");
  if (table.find(':') == std::string_view::npos || table.front() == ':')
    return Status::ConfigError("bad map \"" + std::string(text) + "\": expected NAME=TYPE:TABLE");
  *map = MapSpec();
  map->name = std::string(name);
  map->table = std::string(table);
  return Status::OK();
}

Status ParseListenerSpec(std::string_view text, ListenerSpec* listener) {
  auto bad = [&](std::string_view why) {
    return Status::ConfigError("bad listener \"" + std::string(text) + "\": " + std::string(why));
  };
  *listener = ListenerSpec();
  listener->text = std::string(text);
  std::string_view rest;
  if (text.starts_with("socketmap:")) {
    listener->kind = ListenerKind::kSocketmap;
    rest = text.substr(10);
  } else if (text.starts_with("stats:")) {
    listener->kind = ListenerKind::kStats;
    rest = text.substr(6);
  } else if (text.starts_with("memcache:")) {
    listener->kind = ListenerKind::kMemcache;
    rest = text.substr(9);
    // The map is after the last '=': a unix path may hold '=' itself.
    size_t eq = rest.rfind('=');
    if (eq == std::string_view::npos || !ValidMapName(rest.substr(eq + 1)))
      return bad("expected memcache:unix:PATH=NAME or memcache:inet:HOST:PORT=NAME");
    listener->map_name = std::string(rest.substr(eq + 1));
    rest = rest.substr(0, eq);
  } else if (text.starts_with("tcp:")) {
    listener->kind = ListenerKind::kTcp;
    rest = text.substr(4);
    size_t eq = rest.rfind('=');
    if (eq == std::string_view::npos || !ValidMapName(rest.substr(eq + 1)))
      return bad("expected tcp:HOST:PORT=NAME");
    listener->map_name = std::string(rest.substr(eq + 1));
    if (!SplitHostPort(rest.substr(0, eq), &listener->host, &listener->port))
      return bad("expected tcp:HOST:PORT=NAME");
    return Status::OK();
  } else {
    return bad("expected socketmap:unix:PATH, socketmap:inet:HOST:PORT, tcp:HOST:PORT=NAME, "
               "memcache:unix:PATH=NAME, memcache:inet:HOST:PORT=NAME or stats:...");
  }
  if (rest.starts_with("unix:")) {
    listener->unix_socket = true;
    listener->path = std::string(rest.substr(5));
    if (listener->path.empty() || listener->path.front() != '/') return bad("the socket path must be absolute");
    // sockaddr_un.sun_path holds 108 bytes, the NUL included.
    if (listener->path.size() > 107) return bad("the socket path is longer than 107 bytes");
    return Status::OK();
  }
  if (rest.starts_with("inet:")) {
    if (!SplitHostPort(rest.substr(5), &listener->host, &listener->port)) return bad("expected inet:HOST:PORT");
    return Status::OK();
  }
  return bad("expected unix:PATH or inet:HOST:PORT after the protocol");
}

Status LoadConfigFile(const std::string& path, DaemonConfig* config) {
  std::string text;
  bool open_failed = false;
  int err = ReadWholeFile(path, &text, &open_failed);
  if (err != 0)
    return Status::ConfigError(std::string(open_failed ? "open " : "read ") + path + ": " +
                               std::strerror(err));
  DaemonConfig updated = *config;
  size_t line_number = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = Trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    size_t gap = 0;
    while (gap < line.size() && !IsSpace(line[gap])) ++gap;
    std::string_view keyword = line.substr(0, gap), value = Trim(line.substr(gap));
    if (value.empty())
      return Status::ConfigError(path + ": line " + std::to_string(line_number) + ": \"" +
                                 std::string(keyword) + "\" needs a value");
    Status s = ApplyDirective(keyword, value, &updated);
    if (!s.ok())
      return Status::ConfigError(path + ": line " + std::to_string(line_number) + ": " + s.message());
  }
  *config = std::move(updated);
  return Status::OK();
}

Status ValidateConfig(const DaemonConfig& config) {
  if (config.maps.empty()) return Status::ConfigError("no map given: use -m NAME=TYPE:TABLE");
  if (config.listeners.empty()) return Status::ConfigError("no listener given: use -l");
  std::set<std::string> names;
  for (const MapSpec& m : config.maps)
    if (!names.insert(m.name).second) return Status::ConfigError("map \"" + m.name + "\" is defined twice");
  for (const ListenerSpec& l : config.listeners)
    if ((l.kind == ListenerKind::kTcp || l.kind == ListenerKind::kMemcache) &&
        !names.count(l.map_name))
      return Status::ConfigError("listener \"" + l.text + "\" names no defined map \"" + l.map_name + "\"");
  return Status::OK();
}

}  // namespace mctable
