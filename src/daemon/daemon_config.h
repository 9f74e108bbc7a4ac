// DaemonConfig: what mctabled serves and how: the maps (NAME=TYPE:TABLE),
// the listeners, and the per-client limits, from the command line and an
// optional configuration file.
//
// Command line:  -m NAME=TYPE:TABLE  -l LISTENER  -c config_dir  -f FILE
// Listeners:     socketmap:unix:PATH       socketmap:inet:HOST:PORT
//                tcp:HOST:PORT=NAME        stats:unix:PATH | stats:inet:HOST:PORT
//                memcache:unix:PATH=NAME   memcache:inet:HOST:PORT=NAME
// File (-f): one directive per line, "#" comments, blank lines ignored:
//   map NAME=TYPE:TABLE        listen LISTENER         config_directory DIR
//   idle_timeout SECONDS       request_timeout SECONDS max_clients N
//   max_batch N                max_pipeline N          max_queue N
//   socket_mode OCTAL          syslog yes|no
// HOST may be a name, an IPv4 address or [IPv6].
//
// Failure: every error is a ConfigError naming the argument, or the file
// and line ("/etc/mctabled.conf: line 3: ..."); nothing is half applied
// (the caller keeps its old config when a reload fails).
#ifndef MCTABLE_DAEMON_DAEMON_CONFIG_H_
#define MCTABLE_DAEMON_DAEMON_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"

namespace mctable {

struct MapSpec {
  std::string name;   // the socketmap name, or what a tcp listener names
  std::string table;  // "type:name", as mctable takes it
};

enum class ListenerKind { kSocketmap, kTcp, kStats, kMemcache };

struct ListenerSpec {
  ListenerKind kind = ListenerKind::kSocketmap;
  bool unix_socket = false;
  std::string path;      // unix
  std::string host;      // inet, without brackets
  std::string port;      // inet
  std::string map_name;  // tcp, memcache
  std::string text;      // as given, for messages
};

struct DaemonConfig {
  std::vector<MapSpec> maps;
  std::vector<ListenerSpec> listeners;
  std::string config_dir = "/etc/postfix";  // main.cf of the tables
  bool config_dir_given = false;             // -c or config_directory: main.cf must exist
  std::string config_file;                  // -f; reread on SIGHUP
  int idle_timeout_seconds = 300;   // a client with nothing in progress
  int request_timeout_seconds = 10;  // a request half sent, a reply unread
  int max_clients = 4096;
  size_t max_batch = 1024;     // keys per table batch call
  size_t max_pipeline = 64;    // requests in progress per client
  size_t max_queue = 65536;    // requests waiting per map
  unsigned socket_mode = 0666;  // unix listeners; restrict with the directory
  bool syslog = false;

  const MapSpec* FindMap(std::string_view name) const;
};

Status ParseMapSpec(std::string_view text, MapSpec* map);
Status ParseListenerSpec(std::string_view text, ListenerSpec* listener);
// Adds the directives of `path` to *config.
Status LoadConfigFile(const std::string& path, DaemonConfig* config);
// At least one map and one listener; unique map names; every tcp and
// memcache listener names a map.
Status ValidateConfig(const DaemonConfig& config);

}  // namespace mctable

#endif  // MCTABLE_DAEMON_DAEMON_CONFIG_H_
