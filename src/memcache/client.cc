// The dispatch loop: each server's share of a call is a small state
// machine (idle, connecting, authenticating a new connection, exchanging a
// chunk, pausing before a retry), and one poll() waits for whichever
// server is ready first.
#include "memcache/client.h"

#include <errno.h>
#include <poll.h>

#include <string.h>

#include <algorithm>
#include <thread>

#include "mctable/log.h"
#include "memcache/auth_exchange.h"

namespace mctable {

struct MemcacheClient::ServerRun {
  enum class Phase { kIdle, kPausing, kConnecting, kAuthenticating, kExchanging };

  size_t server = 0;
  std::unique_ptr<ServerBatch> batch;  // null while the server has no items
  Phase phase = Phase::kIdle;
  size_t pos = 0;   // first item without a result
  size_t end = 0;   // end of the chunk in flight
  int tries = 0;    // tries already spent on item `pos`
  Clock::time_point wake;  // kPausing: when to try again
  Deadline deadline;       // kConnecting, kExchanging: end of the try
  std::string request;

  bool has_work() const { return batch && (phase != Phase::kIdle || pos < batch->items().size()); }
};

// One call's run over all servers.
class MemcacheClient::Dispatch {
 public:
  // `assigned` empty: each key goes where the pool places it, and moves
  // when its server is ejected.  Otherwise (replicas) item i goes to server
  // assigned[i] and nowhere else: on an ejected or failing server it fails,
  // and the caller tries another copy.
  Dispatch(MemcacheClient* client, std::span<const std::string_view> keys,
           const BatchFactory& new_batch, std::span<const size_t> assigned)
      : client_(*client), settings_(client->settings_), pool_(client->pool_), keys_(keys),
        new_batch_(new_batch), assigned_(assigned), runs_(client->pool_.size()) {
    for (size_t s = 0; s < runs_.size(); ++s) runs_[s].server = s;
  }

  void Run() {
    pool_.Refresh(client_.io_.Now());
    if (!assigned_.empty()) {
      for (size_t i = 0; i < keys_.size(); ++i) BatchOf(assigned_[i]).items().push_back(i);
      for (ServerRun& run : runs_)
        if (run.batch && pool_.ejected(run.server))
          FailRest(run, ForServer(run, Status::TempError("server is ejected")));
    } else if (pool_.size() == 1 || pool_.live_servers() == 0) {
      // One server takes every key, unhashed (and fails them all when it is ejected).
      std::vector<size_t>& items = BatchOf(0).items();
      items.resize(keys_.size());
      for (size_t i = 0; i < keys_.size(); ++i) items[i] = i;
      if (pool_.live_servers() == 0) FailRest(runs_[0], NoLiveServer());
    } else {
      size_t server = 0;
      for (size_t i = 0; i < keys_.size(); ++i) {
        if (!pool_.ServerFor(keys_[i], &server)) server = 0;  // not reached: a server is live
        BatchOf(server).items().push_back(i);
      }
    }
    Loop();
  }

 private:
  using Phase = ServerRun::Phase;
  using Step = ServerLink::Step;

  ServerBatch& BatchOf(size_t server) {
    ServerRun& run = runs_[server];
    if (!run.batch) {
      run.batch = new_batch_();
      if (pool_.size() > 1) run.batch->set_source(ConnectionOf(run).endpoint().ToString());
    }
    return *run.batch;
  }
  ServerLink& ConnectionOf(const ServerRun& run) const { return *client_.connections_[run.server]; }

  Status NoLiveServer() const {
    return Status::TempError("no live memcache server: every server is ejected");
  }
  // With several servers, a reason names the server it comes from.
  Status ForServer(const ServerRun& run, const Status& status) const {
    if (pool_.size() == 1) return status;
    return Status::TempError(ConnectionOf(run).endpoint().ToString() + ": " + status.message());
  }

  void Loop() {
    std::vector<pollfd> fds;
    std::vector<ServerRun*> polled;
    for (;;) {
      Clock::time_point now = client_.io_.Now();
      for (ServerRun& run : runs_) Advance(run, now);
      // Advancing one server can give another one work (ejection moves
      // keys), so the wait is computed after every server has advanced.
      fds.clear();
      polled.clear();
      bool busy = false, ready_now = false;
      Clock::time_point wake = Clock::time_point::max();
      for (ServerRun& run : runs_) {
        if (!run.has_work()) continue;
        busy = true;
        switch (run.phase) {
          case Phase::kIdle:
            ready_now = true;
            break;
          case Phase::kPausing:
            wake = std::min(wake, run.wake);
            break;
          case Phase::kConnecting:
          case Phase::kAuthenticating:
          case Phase::kExchanging:
            wake = std::min(wake, run.deadline);
            fds.push_back({ConnectionOf(run).fd(), ConnectionOf(run).PollEvents(), 0});
            polled.push_back(&run);
            break;
        }
      }
      if (!busy) return;
      int wait_ms = 0;
      if (!ready_now) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - client_.io_.Now()).count();
        wait_ms = static_cast<int>(std::clamp<decltype(left)>(left, 0, 1000000));
      }
      int n = client_.io_.Poll(fds.data(), fds.size(), wait_ms);
      if (n < 0) {
        if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (n == 0) continue;  // a deadline or a pause: Advance deals with it
      now = client_.io_.Now();
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        ServerRun& run = *polled[k];
        Status status;
        bool refused = false;
        Step step = ConnectionOf(run).Continue(fds[k].revents, &status, &refused);
        Handle(run, step, status, refused, now);
      }
    }
  }

  // Starts what is due: a first try, a retry after its pause, or the
  // failure of a try whose deadline has passed.
  void Advance(ServerRun& run, Clock::time_point now) {
    if (!run.has_work()) return;
    switch (run.phase) {
      case Phase::kPausing:
        if (now < run.wake) return;
        run.phase = Phase::kIdle;
        [[fallthrough]];
      case Phase::kIdle:
        if (run.pos < run.batch->items().size()) StartTry(run, now);
        return;
      case Phase::kConnecting:
      case Phase::kAuthenticating:
      case Phase::kExchanging:
        if (now >= run.deadline) TryFailed(run, ConnectionOf(run).Abandon(), false, now);
        return;
    }
  }

  void StartTry(ServerRun& run, Clock::time_point now) {
    run.deadline = now + std::chrono::seconds(settings_.timeout_seconds);
    run.phase = Phase::kConnecting;
    Status status;
    bool refused = false;
    Step step = ConnectionOf(run).Connect(&status, &refused);
    Handle(run, step, status, refused, now);
  }

  // Carries a step's outcome on: authentication on a new connection, the
  // next chunk after a success, the failure rules after a failure.
  void Handle(ServerRun& run, Step step, Status status, bool refused, Clock::time_point now) {
    while (step == Step::kDone) {
      if (run.phase == Phase::kExchanging) {
        run.pos = run.end;
        run.tries = 0;
        pool_.RecordSuccess(run.server);
        // The next chunk is a try of its own.
        run.deadline = client_.io_.Now() + std::chrono::seconds(settings_.timeout_seconds);
      } else if (run.phase == Phase::kAuthenticating) {
        ConnectionOf(run).MarkSetUp();
      }
      if (run.pos >= run.batch->items().size()) {
        run.phase = Phase::kIdle;
        return;
      }
      if (settings_.auth.enabled() && !ConnectionOf(run).is_set_up()) {
        // Within the try that opened the connection, before its first command.
        AuthReply& reply = client_.auth_replies_[run.server];
        reply.Reset();
        if (LogVerbosity() > 0)
          LogInfo(settings_.table_name + ": authenticating to " +
                  ConnectionOf(run).endpoint().ToString() + " as " + settings_.auth.user);
        run.phase = Phase::kAuthenticating;
        step = ConnectionOf(run).StartExchange(client_.auth_request_, &reply, &status);
        continue;
      }
      run.request.clear();
      run.end = run.batch->BuildChunk(run.pos, &run.request);
      run.batch->StartChunk(run.pos, run.end);
      if (LogVerbosity() > 0)
        LogInfo(settings_.table_name + ": send: " +
                PrintableBytes(std::string_view(run.request).substr(0, 400)) +
                (run.request.size() > 400 ? "..." : ""));
      run.phase = Phase::kExchanging;
      step = ConnectionOf(run).StartExchange(run.request, run.batch.get(), &status);
    }
    if (step == Step::kFailed) TryFailed(run, status, refused, now);
  }

  void TryFailed(ServerRun& run, Status status, bool refused, Clock::time_point now) {
    ServerBatch& batch = *run.batch;
    bool protocol = false;
    if (run.phase == Phase::kExchanging) {
      if (batch.next() > run.pos) {
        // Items answered before the failure keep their answers; the first
        // unanswered one was in flight, so it has had one try.
        run.pos = batch.next();
        run.tries = 0;
      }
      // A failed try caused by a reply (not by the connection) has a warning of its own.
      protocol = batch.protocol_error() && run.end > run.pos;
    }
    const bool auth_rejected =
        run.phase == Phase::kAuthenticating && client_.auth_replies_[run.server].rejected();
    run.phase = Phase::kIdle;
    if (auth_rejected) {
      // The same credentials would be refused again: a hard failure of this
      // server for this call (the message already names the server).
      LogWarning("database " + settings_.table_name + ": " + status.message());
      FailRest(run, status);
      return;
    }
    status = ForServer(run, status);
    const bool ejecting = settings_.placement.auto_eject_hosts;
    if (refused && !ejecting) {
      FailRest(run, status);
      return;
    }
    if (run.tries > 0 || LogVerbosity() > 0) {
      if (protocol)
        LogWarning(batch.warning());
      else
        ConnectionOf(run).Warn("I/O error: " + status.message());  // rate-limited per server
    }
    if (pool_.RecordFailure(run.server, now)) {
      LogWarning("database " + settings_.table_name + ": memcache server " +
                 ConnectionOf(run).endpoint().ToString() + " ejected for " +
                 std::to_string(settings_.placement.server_retry_timeout_seconds) + " s after " +
                 std::to_string(settings_.placement.server_failure_limit) + " failed tries");
      if (assigned_.empty()) {
        MoveRest(run);
      } else {
        FailRest(run, status);
      }
      return;
    }
    if (run.pos >= batch.items().size()) return;  // every item was answered before the failure
    if (++run.tries < settings_.max_try) {
      run.phase = Phase::kPausing;
      run.wake = now + std::chrono::seconds(settings_.retry_pause_seconds);
      return;
    }
    if (protocol && batch.item_error()) {
      batch.FailItem(run.pos++, status);
      run.tries = 0;
      return;
    }
    FailRest(run, status);
  }

  void FailRest(ServerRun& run, const Status& status) {
    ServerBatch& batch = *run.batch;
    for (size_t k = run.pos; k < batch.items().size(); ++k) batch.FailItem(k, status);
    run.pos = batch.items().size();
    run.tries = 0;
    run.phase = Phase::kIdle;
    client_.failed_in_call_[run.server] = true;
  }

  // The server was ejected: its unanswered keys go where the rebuilt
  // continuum puts them.
  void MoveRest(ServerRun& run) {
    std::vector<size_t>& items = run.batch->items();
    size_t to = 0;
    for (size_t k = run.pos; k < items.size(); ++k) {
      size_t i = items[k];
      if (pool_.ServerFor(keys_[i], &to)) {
        BatchOf(to).items().push_back(i);
      } else {
        run.batch->FailItem(k, NoLiveServer());
      }
    }
    run.pos = items.size();
    run.tries = 0;
    run.phase = Phase::kIdle;
  }

  MemcacheClient& client_;
  const MemcacheSettings& settings_;
  ServerPool& pool_;
  std::span<const std::string_view> keys_;
  const BatchFactory& new_batch_;
  std::span<const size_t> assigned_;
  std::vector<ServerRun> runs_;
};

MemcacheClient::MemcacheClient(MemcacheSettings settings, DispatchIo* io)
    : settings_(std::move(settings)),
      io_(io ? *io : SystemDispatchIo()),
      pool_(settings_.servers, settings_.placement) {
  limits_.line_size_limit = settings_.line_size_limit;
  limits_.data_size_limit = settings_.data_size_limit;
  limits_.table_name = settings_.table_name;
  limits_.origin = settings_.origin;
  if (settings_.tls) limits_.pipelined_bytes = kTlsPipelinedBytes;
  for (const ServerConfig& s : settings_.servers) {
    connections_.push_back(io_.NewLink(s.endpoint, settings_.tls));
    connections_.back()->LimitWarnings("database " + settings_.table_name);
    failed_in_call_.push_back(false);
    auth_replies_.emplace_back(s.endpoint.ToString(), settings_.auth.user,
                               settings_.line_size_limit);
  }
  if (settings_.auth.enabled()) auth_request_ = AuthRequest(settings_.auth);
}

MemcacheClient::~MemcacheClient() {
  ::explicit_bzero(auth_request_.data(), auth_request_.size());
  ::explicit_bzero(settings_.auth.password.data(), settings_.auth.password.size());
}

void MemcacheClient::Run(std::span<const std::string_view> keys, const BatchFactory& new_batch,
                         std::span<const size_t> assigned) {
  if (keys.empty()) return;
  Dispatch dispatch(this, keys, new_batch, assigned);
  dispatch.Run();
}

void MemcacheClient::Get(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
                         std::vector<uint32_t>* flags) {
  if (pool_.replicas() > 1) {
    GetReplicated(keys, results, flags);
    return;
  }
  results->resize(keys.size());  // every entry is set by the batch
  if (flags != nullptr) flags->assign(keys.size(), 0);
  Run(keys, [&] { return NewGetBatch(limits_, keys, results, flags); });
}

void MemcacheClient::Set(std::span<const SetRequest> items, uint32_t flags, long ttl,
                         std::vector<Status>* results) {
  results->assign(items.size(), Status::OK());
  set_keys_.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) set_keys_[i] = items[i].key;
  if (pool_.replicas() > 1) {
    const size_t copies = pool_.replicas();
    std::vector<SetRequest>& per_copy = set_copies_;
    per_copy.resize(items.size() * copies);
    for (size_t i = 0; i < items.size(); ++i)
      for (size_t c = 0; c < copies; ++c) per_copy[i * copies + c] = items[i];
    WriteReplicated(
        set_keys_, false,
        [&](std::span<const std::string_view>, std::vector<Status>* r) {
          return NewQuietSetBatch(limits_, per_copy, flags, ttl, r);
        },
        results);
    return;
  }
  Run(set_keys_, [&] { return NewSetBatch(limits_, items, flags, ttl, results); });
}

void MemcacheClient::Delete(std::span<const std::string_view> keys, std::vector<Status>* results) {
  results->assign(keys.size(), Status::OK());
  if (pool_.replicas() > 1) {
    WriteReplicated(
        keys, true,
        [&](std::span<const std::string_view> per_copy, std::vector<Status>* r) {
          return NewQuietDeleteBatch(limits_, per_copy, r);
        },
        results);
    return;
  }
  Run(keys, [&] { return NewDeleteBatch(limits_, keys, results); });
}

}  // namespace mctable
