// mctabled's event loop; see server.h.
#include "daemon/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

#include "daemon/listener.h"
#include "config/postfix_settings.h"
#include "daemon/lookup_protocol.h"
#include "mctable/exact_key_cache.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"

namespace mctable {
namespace {

// epoll tags: small numbers for the fixed descriptors, client ids above.
constexpr uint64_t kSignalTag = 1;
constexpr uint64_t kCompletionTag = 2;
constexpr uint64_t kListenerTagBase = 16;
constexpr uint64_t kFirstClientId = uint64_t{1} << 32;

constexpr auto kSweepInterval = std::chrono::seconds(1);
constexpr auto kShutdownGrace = std::chrono::seconds(2);
constexpr auto kWarningInterval = std::chrono::seconds(10);
constexpr int kAcceptsPerEvent = 64;
// The statistics header's first word, for the stats listener's readers.
constexpr std::string_view kStatsHeaderPrefix = "mctabled: ";

uint64_t Micros(SteadyClock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint64_t>(us);
}

// The maps that a listener serves with exact keys (memcache): they are
// opened read-write, and an update replaces, as a cache's writes must.
std::set<std::string> ExactKeyMaps(const std::vector<ListenerSpec>& listeners) {
  std::set<std::string> maps;
  for (const ListenerSpec& l : listeners)
    if (ProtocolFor(l.kind).NeedsExactKeys()) maps.insert(l.map_name);
  return maps;
}

}  // namespace

Server::Server(DaemonConfig config, ConfigLoader reload)
    : config_(std::move(config)), reload_(std::move(reload)), next_client_id_(kFirstClientId) {}

Server::~Server() {
  Shutdown();
  if (signal_fd_ >= 0) ::close(signal_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

sigset_t Server::HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  return set;
}

Status Server::OpenTables(const DaemonConfig& config, const std::vector<ListenerSpec>& listeners,
                          std::map<std::string, std::unique_ptr<Table>>* tables) {
  const std::set<std::string> exact = ExactKeyMaps(listeners);
  // The same main.cf settings as the mctable command takes, so that the
  // daemon's answers equal `mctable -q`'s (UTF-8 folding, the default type).
  PostfixSettings settings;
  Status read = ReadPostfixSettings(config.config_dir, config.config_dir_given, &settings);
  if (!read.ok()) return read;
  OpenOptions options;
  options.config_dir = config.config_dir;
  options.utf8 = settings.smtputf8_enable;
  for (const MapSpec& map : config.maps) {
    std::unique_ptr<Table> table;
    OpenOptions map_options = options;
    if (exact.count(map.name)) {
      map_options.read_write = true;
      map_options.duplicates = DuplicateMode::kReplace;
    }
    SetThreadLogContext("map " + map.name);  // a table's warnings at open name the map
    Status s = OpenTable(WithDefaultTableType(map.table, settings.default_database_type),
                         map_options, &table);
    SetThreadLogContext("");
    if (!s.ok()) return Status::ConfigError("map " + map.name + ": " + s.message());
    if (exact.count(map.name) && AsExactKeyCache(table.get()) == nullptr)
      return Status::ConfigError("map " + map.name + ": table " + table->full_name() +
                                 " cannot serve a memcache listener: only a memcache table can");
    (*tables)[map.name] = std::move(table);
  }
  return Status::OK();
}

void Server::StartWorkers(std::map<std::string, std::unique_ptr<Table>>* tables) {
  for (auto& [name, table] : *tables) {
    ExactKeyCache* cache = AsExactKeyCache(table.get());
    limits_[name].max_value = cache ? cache->max_value_size() : 0;
    auto it = workers_.find(name);
    if (it != workers_.end()) {
      it->second->ReplaceTable(std::move(table));
    } else {
      workers_[name] = std::make_unique<MapWorker>(name, std::move(table), config_.max_batch,
                                                   config_.max_queue, &completions_);
      metrics_[name];  // listed in the statistics from the start
    }
  }
}

Status Server::Start() {
  Status s = ValidateConfig(config_);
  if (!s.ok()) return s;
  if (!completions_.ok()) return Status::TempError(std::string("eventfd: ") + std::strerror(errno));
  std::map<std::string, std::unique_ptr<Table>> tables;
  s = OpenTables(config_, config_.listeners, &tables);
  if (!s.ok()) return s;

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::TempError(std::string("epoll_create1: ") + std::strerror(errno));
  sigset_t signals = HandledSignals();
  signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::TempError(std::string("signalfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kSignalTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd_, &ev);
  ev.data.u64 = kCompletionTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, completions_.fd(), &ev);

  for (const ListenerSpec& spec : config_.listeners) {
    Listener listener{spec, -1, false};
    s = OpenListener(spec, config_.socket_mode, &listener.fd);
    if (!s.ok()) {
      Shutdown();
      return s;
    }
    listeners_.push_back(std::move(listener));
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTagBase + listeners_.size() - 1;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listeners_.back().fd, &ev);
  }
  for (const std::string& name : ExactKeyMaps(config_.listeners)) front_[name];
  StartWorkers(&tables);
  started_ = last_sweep_ = SteadyClock::now();
  running_ = true;
  return Status::OK();
}

bool Server::Run() {
  std::vector<epoll_event> events(256);
  while (running_) {
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno != EINTR) {
      LogWarning(std::string("epoll_wait: ") + std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    SteadyClock::time_point now = SteadyClock::now();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kSignalTag) {
        HandleSignals();
      } else if (tag == kCompletionTag) {
        HandleAnswers(now);
      } else if (tag < kFirstClientId) {
        size_t index = tag - kListenerTagBase;
        if (index < listeners_.size()) Accept(&listeners_[index], now);
      } else {
        auto it = clients_.find(tag);
        if (it != clients_.end()) HandleClientEvent(it->second.get(), events[i].events, now);
      }
    }
    FlushSubmissions(now);
    if (now - last_sweep_ >= kSweepInterval) Sweep(now);
  }
  Shutdown();
  return WaitForWorkers();
}

void Server::HandleSignals() {
  signalfd_siginfo info;
  while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    switch (info.ssi_signo) {
      case SIGTERM:
      case SIGINT:
        // Operators read the log to know that a restart happened.
        LogInfo(std::string("stopping on ") + (info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT"));
        running_ = false;
        break;
      case SIGHUP:
        Reload();
        break;
      case SIGUSR1: {
        // The log line has the program name already: not "mctabled: mctabled: uptime...".
        std::string text = StatsText().substr(kStatsHeaderPrefix.size());
        size_t start = 0;
        while (start < text.size()) {
          size_t end = text.find('\n', start);
          if (end == std::string::npos) end = text.size();
          LogInfo(text.substr(start, end - start));
          start = end + 1;
        }
        break;
      }
      default:
        break;
    }
  }
}

void Server::Reload() {
  FlushSubmissions(SteadyClock::now());  // to the workers they were meant for
  DaemonConfig fresh;
  Status s = reload_ ? reload_(&fresh) : Status::ConfigError("no configuration loader");
  if (s.ok()) s = ValidateConfig(fresh);
  std::map<std::string, std::unique_ptr<Table>> tables;
  std::vector<ListenerSpec> current;  // a reload keeps the listeners
  for (const Listener& l : listeners_) current.push_back(l.spec);
  if (s.ok()) {
    for (const std::string& name : ExactKeyMaps(current))
      if (fresh.FindMap(name) == nullptr)
        s = Status::ConfigError("map " + name + " is served by a memcache listener");
  }
  if (s.ok()) s = OpenTables(fresh, current, &tables);
  if (!s.ok()) {
    LogWarning("reload failed, keeping the old configuration: " + s.message());
    return;
  }
  bool listeners_changed = fresh.listeners.size() != listeners_.size();
  for (size_t i = 0; !listeners_changed && i < listeners_.size(); ++i)
    listeners_changed = fresh.listeners[i].text != listeners_[i].spec.text;
  if (listeners_changed) LogWarning("reload: changed listeners take effect only at a restart");
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (tables.count(it->first)) {
      ++it;
      continue;
    }
    it->second->Abandon();  // answers what it has queued, then ends
    to_submit_.erase(it->second.get());
    metrics_.erase(it->first);  // the statistics list the maps served
    front_.erase(it->first);
    retiring_.push_back(std::move(it->second));
    it = workers_.erase(it);
  }
  fresh.listeners.clear();
  for (const Listener& l : listeners_) fresh.listeners.push_back(l.spec);
  config_ = std::move(fresh);
  StartWorkers(&tables);
  LogInfo("reloaded: " + std::to_string(workers_.size()) + " maps, tables reopened");
}

void Server::WarnRateLimited(const std::string& text) {
  SteadyClock::time_point now = SteadyClock::now();
  if (now - last_rate_limited_warning_ < kWarningInterval) return;
  last_rate_limited_warning_ = now;
  LogWarning(text);
}

void Server::Accept(Listener* listener, SteadyClock::time_point now) {
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    int fd = ::accept4(listener->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        WarnRateLimited(listener->spec.text + ": accept: " + std::strerror(errno) +
                        " (pausing this listener for a second)");
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener->fd, nullptr);
        listener->paused = true;
      }
      return;  // EAGAIN, or a connection that died before accept
    }
    if (clients_.size() >= static_cast<size_t>(config_.max_clients)) {
      ::close(fd);
      ++clients_refused_;
      WarnRateLimited("too many clients (max_clients=" + std::to_string(config_.max_clients) +
                      "): refusing new connections");
      continue;
    }
    if (!listener->spec.unix_socket) {
      int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    uint64_t id = next_client_id_++;
    auto client = std::make_unique<ClientConnection>(id, fd, listener->spec.kind,
                                                     listener->spec.map_name, now);
    ClientConnection* c = client.get();
    clients_[id] = std::move(client);
    epoll_event ev{};
    ev.data.u64 = id;
    ev.events = 0;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    if (ProtocolFor(c->kind()).SendsStatsAtConnect()) {
      c->Answer(c->TakeSlot(), StatsText());
      c->CloseWhenDone();
    }
    Settle(c, now);
  }
}

void Server::HandleClientEvent(ClientConnection* client, uint32_t events, SteadyClock::time_point now) {
  if (events & EPOLLOUT) {
    if (client->Write(now) == ClientConnection::IoResult::kClosed) {
      CloseClient(client);
      return;
    }
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (!client->WantsRead(config_.max_pipeline)) {
      // Not reading: only a hang-up matters, and then nobody reads replies.
      if (events & (EPOLLHUP | EPOLLERR)) {
        CloseClient(client);
        return;
      }
    } else if (client->Read(now) == ClientConnection::IoResult::kClosed) {
      client->CloseWhenDone();
    }
    ParseRequests(client, now);
  }
  Settle(client, now);
}

void Server::ParseRequests(ClientConnection* client, SteadyClock::time_point now) {
  const ListenerProtocol& protocol = ProtocolFor(client->kind());
  static const ParseLimits kNoLimits;
  auto limits_it = limits_.find(client->tcp_map());
  const ParseLimits& limits = limits_it == limits_.end() ? kNoLimits : limits_it->second;
  while (client->unanswered() < config_.max_pipeline && !client->input().empty()) {
    ParsedCommand command = protocol.Parse(client->input(), limits);
    if (command.status == ParseStatus::kNeedMore) {
      if (client->closing()) client->DiscardInput();  // cut off mid-request
      return;
    }
    if (command.status == ParseStatus::kFramingError) {
      if (LogVerbosity() > 0) LogInfo("client " + std::to_string(client->id()) + ": " + command.error);
      client->Answer(client->TakeSlot(), protocol.ErrorReply(ErrorKind::kPermanent, command.error));
      client->DiscardInput();
      client->CloseWhenDone();
      return;
    }
    client->Consume(command.consumed, now);
    if (command.discard > 0) client->DropIncoming(command.discard);
    if (command.status == ParseStatus::kBadRequest) {
      client->Answer(client->TakeSlot(), protocol.ErrorReply(ErrorKind::kPermanent, command.error));
      continue;
    }
    Request& request = command.request;
    if (request.op == Operation::kReply) {
      client->Answer(client->TakeSlot(), std::move(request.reply));
    } else if (request.op != Operation::kIgnore) {
      Dispatch(client, std::move(request), now);
    } else if (request.close) {
      client->DiscardInput();
      client->CloseWhenDone();
      return;
    }
  }
}

void Server::Dispatch(ClientConnection* client, Request request, SteadyClock::time_point now) {
  if (request.map_name.empty()) request.map_name = client->tcp_map();
  if (LogVerbosity() > 0)
    LogInfo("client " + std::to_string(client->id()) + ": " +
            (request.op == Operation::kLookup ? "lookup" : request.op == Operation::kGet ? "get"
             : request.op == Operation::kSet  ? "set" : "delete") +
            " map " + PrintableBytes(request.map_name) + " key \"" +
            PrintableBytes(request.keys.empty() ? std::string() : request.keys[0]) + "\"");
  uint64_t slot = client->TakeSlot();
  auto it = workers_.find(request.map_name);
  if (it == workers_.end()) {
    std::string why = "unknown map \"" + PrintableBytes(request.map_name) + "\"";
    client->Answer(slot, ProtocolFor(client->kind()).ErrorReply(ErrorKind::kPermanent, why));
    return;
  }
  // Queued for the end of this turn of the loop: one lock and at most one
  // wake-up per map however many clients asked.
  to_submit_[it->second.get()].push_back(LookupRequest{client->id(), slot, std::move(request), now});
}

void Server::FlushSubmissions(SteadyClock::time_point now) {
  for (auto& [worker, requests] : to_submit_) {
    if (requests.empty()) continue;
    worker->SubmitMany(&requests);
    if (requests.empty()) continue;
    std::string why = "server busy: " + std::to_string(config_.max_queue) +
                      " requests already wait for map " + worker->map_name();
    WarnRateLimited(why);
    for (LookupRequest& refused : requests) {
      metrics_[worker->map_name()].Record(LookupMetrics::Outcome::kError, 0);
      auto it = clients_.find(refused.client);
      if (it == clients_.end()) continue;
      ClientConnection* client = it->second.get();
      client->Answer(refused.slot, ProtocolFor(client->kind()).ErrorReply(ErrorKind::kTemporary, why));
      Settle(client, now);
    }
    requests.clear();
  }
}

void Server::HandleAnswers(SteadyClock::time_point now) {
  std::vector<AnsweredBatch> batches;
  completions_.Drain(&batches);
  std::vector<ClientConnection*> touched;
  for (AnsweredBatch& batch : batches) {
    // Null for the last answers of a map a reload removed: not counted.
    auto found = metrics_.find(batch.map_name);
    LookupMetrics* metrics = found == metrics_.end() ? nullptr : &found->second;
    if (metrics) {
      metrics->AddBackupFills(batch.backup_fills);
      metrics->AddReplicaWork(batch.replica_work.replica_failovers, batch.replica_work.read_repairs,
                              batch.replica_work.writes_missed_copy);
    }
    for (LookupAnswer& answer : batch.answers) {
      if (answer.request.op == Operation::kLookup) {
        const Status& status = answer.results[0].status;
        if (metrics)
          metrics->Record(status.ok()           ? LookupMetrics::Outcome::kHit
                          : status.IsNotFound() ? LookupMetrics::Outcome::kMiss
                                                : LookupMetrics::Outcome::kError,
                          Micros(now - answer.received));
      } else if (metrics) {
        CountFront(batch.map_name, answer);
      }
      auto it = clients_.find(answer.client);
      if (it == clients_.end()) continue;  // the client left meanwhile
      ClientConnection* client = it->second.get();
      client->Answer(answer.slot,
                     ProtocolFor(client->kind()).Reply(answer.request, answer.results));
      touched.push_back(client);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (ClientConnection* client : touched) {
    ParseRequests(client, now);  // answers made room for pipelined requests
    Settle(client, now);
  }
}

void Server::CountFront(const std::string& map_name, const LookupAnswer& answer) {
  FrontCounters& c = front_[map_name];
  switch (answer.request.op) {
    case Operation::kGet:
      c.gets += answer.results.size();
      for (const KeyAnswer& a : answer.results) {
        if (a.status.ok())
          ++c.hits;
        else if (a.status.IsNotFound())
          ++c.misses;
        else
          ++c.errors;
      }
      break;
    case Operation::kSet:
      ++c.sets;
      if (!answer.results[0].status.ok()) ++c.errors;
      break;
    case Operation::kDelete:
      ++c.deletes;
      if (answer.results[0].status.IsError()) ++c.errors;
      break;
    default:
      break;
  }
}

void Server::Settle(ClientConnection* client, SteadyClock::time_point now) {
  if (client->WantsWrite() && client->Write(now) == ClientConnection::IoResult::kClosed) {
    CloseClient(client);
    return;
  }
  if (client->done()) {
    CloseClient(client);
    return;
  }
  uint32_t wanted = (client->WantsRead(config_.max_pipeline) ? uint32_t{EPOLLIN} : 0u) |
                    (client->WantsWrite() ? uint32_t{EPOLLOUT} : 0u);
  if (wanted != client->epoll_events) {
    epoll_event ev{};
    ev.events = wanted;
    ev.data.u64 = client->id();
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, client->fd(), &ev);
    client->epoll_events = wanted;
  }
}

void Server::CloseClient(ClientConnection* client) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, client->fd(), nullptr);
  clients_.erase(client->id());  // closes the socket
}

void Server::Sweep(SteadyClock::time_point now) {
  last_sweep_ = now;
  std::vector<ClientConnection*> stalled;
  for (auto& [id, client] : clients_) {
    const char* why = client->Stalled(now, config_, config_.max_pipeline);
    if (why == nullptr) continue;
    if (LogVerbosity() > 0) LogInfo("client " + std::to_string(id) + ": disconnected: " + why);
    stalled.push_back(client.get());
  }
  clients_cut_off_ += stalled.size();
  for (ClientConnection* client : stalled) CloseClient(client);
  for (Listener& listener : listeners_) {
    if (!listener.paused) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTagBase + static_cast<uint64_t>(&listener - listeners_.data());
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener.fd, &ev);
    listener.paused = false;
  }
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if ((*it)->finished()) {
      (*it)->Stop();  // joins at once: the thread has left its loop
      it = retiring_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::Shutdown() {
  for (Listener& listener : listeners_) {
    if (listener.fd >= 0) ::close(listener.fd);
    listener.fd = -1;
    if (listener.spec.unix_socket) ::unlink(listener.spec.path.c_str());
  }
  listeners_.clear();
  clients_.clear();
  to_submit_.clear();
  for (auto& [name, worker] : workers_) worker->Abandon();
  for (auto& worker : retiring_) worker->Abandon();
}

bool Server::WaitForWorkers() {
  SteadyClock::time_point deadline = SteadyClock::now() + kShutdownGrace;
  auto all_finished = [this] {
    for (auto& [name, worker] : workers_)
      if (!worker->finished()) return false;
    for (auto& worker : retiring_)
      if (!worker->finished()) return false;
    return true;
  };
  while (!all_finished()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  workers_.clear();  // joins: every thread has left its loop
  retiring_.clear();
  return true;
}

std::string Server::StatsText() const {
  std::string text = std::string(kStatsHeaderPrefix) + "uptime_seconds=" +
                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        SteadyClock::now() - started_).count()) +
                     " clients=" + std::to_string(clients_.size()) +
                     " clients_refused=" + std::to_string(clients_refused_) +
                     " clients_cut_off=" + std::to_string(clients_cut_off_) + "\n";
  for (const auto& [name, metrics] : metrics_) text += metrics.Format(name) + "\n";
  for (const auto& [name, c] : front_)
    text += "memcache " + name + ": gets=" + std::to_string(c.gets) + " sets=" + std::to_string(c.sets) +
            " deletes=" + std::to_string(c.deletes) + " hits=" + std::to_string(c.hits) +
            " misses=" + std::to_string(c.misses) + " errors=" + std::to_string(c.errors) + "\n";
  return text;
}

}  // namespace mctable
