// mctabled: serves mctable tables to Postfix over the socketmap and
// tcp_table protocols, and memcache tables over memcached's own.
//
//   mctabled -m NAME=TYPE:TABLE [-m ...] -l LISTENER [-l ...]
//            [-c config_dir] [-f config_file] [-s] [-v]
//   mctabled --help | --version
//
// Runs in the foreground; "mctabled: warning|fatal: ..." on stderr, and on
// syslog (facility mail) with -s or "syslog yes".  Exit status 0 after
// SIGTERM/SIGINT, 1 when it cannot start.  See mctabled(8).
#include <getopt.h>
#include <pthread.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "daemon/daemon_config.h"
#include "daemon/server.h"
#include "mctable/log.h"

namespace {

constexpr char kUsage[] =
    "usage: mctabled -m NAME=TYPE:TABLE [-m ...] -l LISTENER [-l ...] [-c config_dir] "
    "[-f config_file] [-s] [-v]";

constexpr char kHelp[] =
    "Usage: mctabled [options]\n"
    "Serve mctable tables to Postfix over socketmap, tcp_table and memcache.\n"
    "\n"
    "  -m NAME=TYPE:TABLE         serve TYPE:TABLE as map NAME (repeatable)\n"
    "  -l socketmap:unix:PATH     socketmap listener (requests \"NAME KEY\")\n"
    "  -l socketmap:inet:HOST:PORT\n"
    "  -l tcp:HOST:PORT=NAME      tcp_table listener for map NAME\n"
    "  -l memcache:unix:PATH=NAME memcache protocol for map NAME (a memcache table)\n"
    "  -l memcache:inet:HOST:PORT=NAME\n"
    "  -l stats:unix:PATH         statistics: connect and read\n"
    "  -c dir                     directory of main.cf (default /etc/postfix)\n"
    "  -f file                    configuration file (reread on SIGHUP)\n"
    "  -s                         log to syslog (facility mail) as well\n"
    "  -v                         verbose (repeat for more)\n"
    "  --help                     this text\n"
    "  --version                  print \"mctabled VERSION\" and exit\n"
    "\n"
    "Signals: TERM/INT stop, HUP reopens the tables and rereads -f, USR1 logs\n"
    "the statistics.  See mctabled(8).\n";

// stderr as the default sink does, plus syslog.
void LogToSyslogToo() {
  ::openlog("mctabled", LOG_PID, LOG_MAIL);
  mctable::SetLogSink([](mctable::LogLevel level, std::string_view text) {
    const char* label = level == mctable::LogLevel::kWarning ? "warning: "
                        : level == mctable::LogLevel::kError ? "error: "
                        : level == mctable::LogLevel::kFatal ? "fatal: "
                                                             : "";
    std::string line = "mctabled: " + std::string(label) + std::string(text) + "\n";
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;
    int priority = level == mctable::LogLevel::kWarning ? LOG_WARNING
                   : level == mctable::LogLevel::kError ? LOG_ERR
                   : level == mctable::LogLevel::kFatal ? LOG_CRIT
                                                        : LOG_INFO;
    ::syslog(priority, "%s%.*s", label, static_cast<int>(text.size()), text.data());
  });
}

// Thousands of idle clients need thousands of descriptors.
void RaiseDescriptorLimit() {
  rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// "started: listeners: L1, L2; maps: NAME=TYPE:TABLE, ..." (the names as configured).
std::string StartedText(const mctable::DaemonConfig& config) {
  std::string text = "started (pid " + std::to_string(::getpid()) + "): listeners:";
  for (size_t i = 0; i < config.listeners.size(); ++i)
    text += (i == 0 ? " " : ", ") + config.listeners[i].text;
  text += "; maps:";
  for (size_t i = 0; i < config.maps.size(); ++i)
    text += (i == 0 ? " " : ", ") + config.maps[i].name + "=" + config.maps[i].table;
  return text;
}

[[noreturn]] void Fatal(const std::string& text) {
  mctable::LogFatal(text);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  mctable::SetLogProgramName("mctabled");
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (std::strcmp(argv[i], "--version") == 0) {
      std::puts("mctabled " MCTABLE_VERSION);
      return 0;
    }
  }
  mctable::DaemonConfig command_line;
  bool syslog_option = false;
  int c;
  opterr = 0;
  while ((c = ::getopt(argc, argv, "c:f:l:m:sv")) != -1) {
    mctable::Status s;
    switch (c) {
      case 'c':
        command_line.config_dir = optarg;
        command_line.config_dir_given = true;
        break;
      case 'f':
        command_line.config_file = optarg;
        break;
      case 'l': {
        mctable::ListenerSpec listener;
        s = mctable::ParseListenerSpec(optarg, &listener);
        if (s.ok()) command_line.listeners.push_back(std::move(listener));
        break;
      }
      case 'm': {
        mctable::MapSpec map;
        s = mctable::ParseMapSpec(optarg, &map);
        if (s.ok()) command_line.maps.push_back(std::move(map));
        break;
      }
      case 's':
        syslog_option = true;
        break;
      case 'v':
        mctable::SetLogVerbosity(mctable::LogVerbosity() + 1);
        break;
      default:
        Fatal(kUsage);
    }
    if (!s.ok()) Fatal(s.message());
  }
  if (optind < argc) Fatal(kUsage);

  // The whole configuration: the command line, then the file's directives.
  auto load = [command_line](mctable::DaemonConfig* config) {
    *config = command_line;
    if (config->config_file.empty()) return mctable::Status::OK();
    return mctable::LoadConfigFile(config->config_file, config);
  };
  mctable::DaemonConfig config;
  mctable::Status s = load(&config);
  if (!s.ok()) Fatal(s.message());
  if (syslog_option || config.syslog) LogToSyslogToo();

  // Before any thread exists, so that only the signalfd sees these.
  sigset_t signals = mctable::Server::HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  RaiseDescriptorLimit();

  auto server = std::make_unique<mctable::Server>(config, load);
  s = server->Start();
  if (!s.ok()) Fatal(s.message());
  // Operators read the log to know that a (re)start happened and what it serves.
  mctable::LogInfo(StartedText(config));
  if (!server->Run()) {
    // A map's thread is still inside a table call (a slow server): its
    // sockets are gone already, so leave without waiting for it.
    mctable::LogWarning("a table call is still in progress at shutdown; exiting without it");
    std::_Exit(0);
  }
  server.reset();
  mctable::LogInfo("stopped");
  return 0;
}
