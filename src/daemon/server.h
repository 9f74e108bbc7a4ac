// Server: mctabled's event loop.  One thread runs epoll over the
// listeners, the clients, a signalfd and the answers of the map workers
// (one thread per map, see map_worker.h); it parses requests, hands them
// to the worker of their map, and writes the answers back in order.
//
// Signals (blocked by the caller in every thread before Start, read here
// through a signalfd): SIGTERM and SIGINT stop the loop (listeners closed,
// unix socket files removed, clients dropped); SIGHUP reloads: the
// configuration is read again through the caller's loader and every table
// is reopened, the clients stay connected, and a failed reload keeps the
// old configuration with a warning; SIGUSR1 logs the statistics.
//
// Failure: Start returns the first problem (a table that does not open, a
// listener that cannot bind) and leaves nothing bound.  At run time
// nothing a client sends or a table answers ends the loop: a table error is
// a TEMP (socketmap), 400 (tcp_table) or SERVER_ERROR (memcache) answer; a
// client that breaks the protocol or a limit of DaemonConfig is answered
// once if it can be and disconnected.
//
// The protocols are ListenerProtocol implementations (listener_protocol.h);
// this loop only moves bytes, requests and answers between them, the
// clients and the map workers.  Maps served by a memcache listener are
// opened read-write (updates replace) and must have exact-key access.
#ifndef MCTABLE_DAEMON_SERVER_H_
#define MCTABLE_DAEMON_SERVER_H_

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/lookup_metrics.h"
#include "daemon/client_connection.h"
#include "daemon/daemon_config.h"
#include "daemon/listener_protocol.h"
#include "daemon/map_worker.h"
#include "mctable/status.h"

namespace mctable {

class Server {
 public:
  // Fills a fresh configuration for a reload (command line plus file).
  using ConfigLoader = std::function<Status(DaemonConfig*)>;

  Server(DaemonConfig config, ConfigLoader reload);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The signals the caller must block before any thread starts.
  static sigset_t HandledSignals();

  Status Start();
  // Serves until SIGTERM or SIGINT.  Returns true when every map worker
  // stopped within the shutdown grace time (else one is still inside a
  // table call and the caller should _exit).
  bool Run();

  // The statistics: a header line, then one line per map (LookupMetrics).
  std::string StatsText() const;

 private:
  struct Listener {
    ListenerSpec spec;
    int fd = -1;
    bool paused = false;  // out of descriptors: retried at the next sweep
  };
  // What a memcache listener's map did for its clients.
  struct FrontCounters {
    uint64_t gets = 0, sets = 0, deletes = 0, hits = 0, misses = 0, errors = 0;
  };

  Status OpenTables(const DaemonConfig& config, const std::vector<ListenerSpec>& listeners,
                    std::map<std::string, std::unique_ptr<Table>>* tables);
  void StartWorkers(std::map<std::string, std::unique_ptr<Table>>* tables);
  void HandleSignals();
  void Reload();
  void Accept(Listener* listener, SteadyClock::time_point now);
  void HandleClientEvent(ClientConnection* client, uint32_t events, SteadyClock::time_point now);
  void ParseRequests(ClientConnection* client, SteadyClock::time_point now);
  void Dispatch(ClientConnection* client, Request request, SteadyClock::time_point now);
  void CountFront(const std::string& map_name, const LookupAnswer& answer);
  void FlushSubmissions(SteadyClock::time_point now);
  void HandleAnswers(SteadyClock::time_point now);
  // Writes, closes when finished, and registers the events the client now wants.
  void Settle(ClientConnection* client, SteadyClock::time_point now);
  void CloseClient(ClientConnection* client);
  void Sweep(SteadyClock::time_point now);
  void Shutdown();
  bool WaitForWorkers();
  void WarnRateLimited(const std::string& text);

  DaemonConfig config_;
  ConfigLoader reload_;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  bool running_ = false;
  SteadyClock::time_point started_, last_sweep_, last_rate_limited_warning_;
  CompletionQueue completions_;
  std::vector<Listener> listeners_;
  std::map<std::string, std::unique_ptr<MapWorker>> workers_;
  std::vector<std::unique_ptr<MapWorker>> retiring_;  // maps dropped by a reload
  std::map<std::string, LookupMetrics> metrics_;
  std::map<std::string, FrontCounters> front_;   // maps with a memcache listener
  std::map<std::string, ParseLimits> limits_;    // per map, from its table
  std::unordered_map<uint64_t, std::unique_ptr<ClientConnection>> clients_;
  // Requests parsed in this turn of the loop, per map, not yet handed over.
  std::unordered_map<MapWorker*, std::vector<LookupRequest>> to_submit_;
  uint64_t next_client_id_;
  uint64_t clients_refused_ = 0, clients_cut_off_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_DAEMON_SERVER_H_
