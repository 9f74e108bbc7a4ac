// MapWorker: one thread that owns one map's Table and runs its lookups in
// batches; CompletionQueue: how the answers get back to the event loop.
//
// Why a thread per map: Table calls block (a memcache lookup waits up to
// the table's timeout times its tries), and a Table is used by one thread
// at a time.  The event loop never calls a table: it queues requests here
// and goes on serving every other client and map.  A slow or stalled table
// delays only the requests for its own map.
//
// Coalescing: the worker takes everything queued (up to max_batch
// requests) and runs all its requests of one operation as one batch call
// (LookupMany, or the table's ExactKeyCache GetExact, SetExact,
// DeleteExact), with duplicate keys of a lookup or get asked once.  Each
// key still sees its operations in arrival order: a request on a key that
// an earlier one of the batch writes waits for a later call (see
// AnswerBatch).  While memcached
// answers one batch, the requests of all clients pile up into the next, so
// the batch size grows with the load by itself and costs no added delay at
// low load.
//
// Contract: Submit(Many) never blocks and refuses only when
// max_queue requests already wait; every accepted request gets exactly one
// answer, even across ReplaceTable.  Stop() lets queued work finish and
// joins; Abandon() asks the thread to stop without waiting (shutdown).
#ifndef MCTABLE_DAEMON_MAP_WORKER_H_
#define MCTABLE_DAEMON_MAP_WORKER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/request.h"
#include "mctable/exact_key_cache.h"
#include "mctable/lookup_result.h"
#include "mctable/table.h"

namespace mctable {

using SteadyClock = std::chrono::steady_clock;

struct LookupRequest {
  uint64_t client = 0;  // the event loop's connection id
  uint64_t slot = 0;    // the reply's place in that connection's order
  Request request;      // op kLookup, kGet, kSet or kDelete
  SteadyClock::time_point received;
};

struct LookupAnswer {
  uint64_t client = 0;
  uint64_t slot = 0;
  Request request;                // handed back for the reply
  std::vector<KeyAnswer> results;  // one per key of the request
  SteadyClock::time_point received;
};

// Answers of one batch, with what the table did behind them.
struct AnsweredBatch {
  std::string map_name;
  std::vector<LookupAnswer> answers;
  uint64_t backup_fills = 0;  // since the previous batch of this map
  TableCounters replica_work;  // replica_* fields only, since the previous batch
};

// Many producers (workers), one consumer (the event loop), woken through an
// eventfd that the loop polls.
class CompletionQueue {
 public:
  CompletionQueue();
  ~CompletionQueue();
  bool ok() const { return event_fd_ >= 0; }
  int fd() const { return event_fd_; }
  void Push(AnsweredBatch batch);
  // Moves everything queued into *out and clears the eventfd.
  void Drain(std::vector<AnsweredBatch>* out);

 private:
  int event_fd_ = -1;
  std::mutex mu_;
  std::vector<AnsweredBatch> queue_;
};

class MapWorker {
 public:
  MapWorker(std::string map_name, std::unique_ptr<Table> table, size_t max_batch, size_t max_queue,
            CompletionQueue* done);
  ~MapWorker();  // Stop()s if still running
  MapWorker(const MapWorker&) = delete;
  MapWorker& operator=(const MapWorker&) = delete;

  const std::string& map_name() const { return map_name_; }
  bool Submit(LookupRequest request);
  // Queues as many of *requests as max_queue allows, in one lock and at
  // most one wake-up; the refused ones are left in *requests.
  void SubmitMany(std::vector<LookupRequest>* requests);
  // The next batch uses `table`; the old one is closed by the worker.
  void ReplaceTable(std::unique_ptr<Table> table);
  void Stop();
  void Abandon();
  // Whether the thread has left its loop (after Stop or Abandon).
  bool finished() const;

 private:
  void Run();
  void AnswerBatch(std::vector<LookupRequest>* batch);
  // Runs the requests batch[group[...]], all of one operation, as one
  // table call, into the answers of the same indexes.
  void RunGroup(std::vector<LookupRequest>* batch, const std::vector<size_t>& group,
                std::vector<LookupAnswer>* answers);

  const std::string map_name_;
  const size_t max_batch_, max_queue_;
  CompletionQueue* const done_;
  std::unique_ptr<Table> table_;  // worker thread only

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<LookupRequest> queue_;
  std::unique_ptr<Table> replacement_;
  bool stopping_ = false;
  bool finished_ = false;
  bool idle_ = false;  // waiting for work: only then is a wake-up needed
  std::thread thread_;

  // Worker thread only: reused from batch to batch.
  std::vector<std::string> keys_;
  std::vector<size_t> key_of_request_;
  std::vector<LookupResult> results_;
  std::vector<CachedValue> cached_;
  std::vector<Status> statuses_;
  uint64_t fills_reported_ = 0;
  TableCounters reported_;  // the table's counters at the previous batch
};

}  // namespace mctable

#endif  // MCTABLE_DAEMON_MAP_WORKER_H_
