// The per-map lookup thread and the queue of answers; see map_worker.h.
#include "daemon/map_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>

#include "mctable/log.h"

namespace mctable {

CompletionQueue::CompletionQueue() { event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

CompletionQueue::~CompletionQueue() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void CompletionQueue::Push(AnsweredBatch batch) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(batch));
  }
  // One wake-up per burst: the loop drains everything at once.
  if (was_empty) {
    uint64_t one = 1;
    ssize_t n = ::write(event_fd_, &one, sizeof one);
    (void)n;  // EAGAIN means the counter is already non-zero: the loop will wake
  }
}

void CompletionQueue::Drain(std::vector<AnsweredBatch>* out) {
  uint64_t count;
  ssize_t n = ::read(event_fd_, &count, sizeof count);
  (void)n;  // EAGAIN: nothing was signalled, but draining is still right
  std::lock_guard<std::mutex> lock(mu_);
  out->swap(queue_);
  queue_.clear();
}

MapWorker::MapWorker(std::string map_name, std::unique_ptr<Table> table, size_t max_batch,
                     size_t max_queue, CompletionQueue* done)
    : map_name_(std::move(map_name)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      max_queue_(max_queue),
      done_(done),
      table_(std::move(table)) {
  thread_ = std::thread([this] { Run(); });
}

MapWorker::~MapWorker() {
  Stop();
  // What the table logs as it goes (a count of warnings held back) names the map.
  SetThreadLogContext("map " + map_name_);
  table_.reset();
  SetThreadLogContext("");
}

bool MapWorker::Submit(LookupRequest request) {
  std::vector<LookupRequest> one;
  one.push_back(std::move(request));
  SubmitMany(&one);
  return one.empty();
}

void MapWorker::SubmitMany(std::vector<LookupRequest>* requests) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    size_t room = max_queue_ > queue_.size() ? max_queue_ - queue_.size() : 0;
    size_t take = std::min(room, requests->size());
    for (size_t i = 0; i < take; ++i) queue_.push_back(std::move((*requests)[i]));
    requests->erase(requests->begin(), requests->begin() + static_cast<long>(take));
    wake = take > 0 && idle_;
  }
  if (wake) wake_.notify_one();
}

void MapWorker::ReplaceTable(std::unique_ptr<Table> table) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    replacement_ = std::move(table);
  }
  wake_.notify_one();
}

void MapWorker::Stop() {
  Abandon();
  if (thread_.joinable()) thread_.join();
}

void MapWorker::Abandon() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
}

bool MapWorker::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

void MapWorker::Run() {
  // Everything this thread logs, the table's warnings included, names the map.
  SetThreadLogContext("map " + map_name_);
  std::vector<LookupRequest> batch;
  for (;;) {
    std::unique_ptr<Table> retired;
    {
      std::unique_lock<std::mutex> lock(mu_);
      idle_ = true;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || replacement_; });
      idle_ = false;
      if (replacement_) {
        retired = std::move(table_);
        table_ = std::move(replacement_);
        fills_reported_ = 0;
        reported_ = TableCounters();
      }
      if (queue_.empty() && stopping_) break;
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
        queue_.clear();
      } else {
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<long>(max_batch_)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(max_batch_));
      }
    }
    if (retired) {
      Status s = retired->Close();
      if (!s.ok()) LogWarning("close of the old table: " + s.message());
      retired.reset();
    }
    if (!batch.empty()) AnswerBatch(&batch);
    batch.clear();
  }
  if (table_) {
    Status s = table_->Close();
    if (!s.ok()) LogWarning("close: " + s.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
}

void MapWorker::AnswerBatch(std::vector<LookupRequest>* batch) {
  AnsweredBatch answered;
  answered.map_name = map_name_;
  answered.answers.resize(batch->size());
  // Phases: in each, the lookups run first, then the gets, the sets and
  // the deletes, each kind as one batch call.  A request that this order
  // would move before an earlier one on the same key (a get after a set
  // of it, a set after a set or delete of it, a lookup after any write)
  // starts the next phase, so every key sees its operations in arrival
  // order while a 90/10 mix of gets and sets still makes one get call.
  std::array<std::vector<size_t>, 4> groups;  // by Operation: kLookup..kDelete
  std::unordered_set<std::string_view> written, deleted;
  auto flush = [&] {
    for (std::vector<size_t>& group : groups) {
      if (!group.empty()) RunGroup(batch, group, &answered.answers);
      group.clear();
    }
    written.clear();
    deleted.clear();
  };
  for (size_t i = 0; i < batch->size(); ++i) {
    const Request& r = (*batch)[i].request;
    bool conflict = false;
    switch (r.op) {
      case Operation::kLookup:
        conflict = !written.empty() || !deleted.empty();
        break;
      case Operation::kGet:
        for (const std::string& key : r.keys) conflict = conflict || written.count(key) || deleted.count(key);
        break;
      case Operation::kSet:
        conflict = written.count(r.keys[0]) || deleted.count(r.keys[0]);
        break;
      default:
        break;
    }
    if (conflict) flush();
    if (r.op == Operation::kSet) written.insert(r.keys[0]);
    if (r.op == Operation::kDelete) deleted.insert(r.keys[0]);
    size_t kind = static_cast<size_t>(r.op);
    groups[kind < groups.size() ? kind : 0].push_back(i);
  }
  flush();
  for (size_t i = 0; i < batch->size(); ++i) {
    LookupAnswer& a = answered.answers[i];
    LookupRequest& r = (*batch)[i];
    a.client = r.client;
    a.slot = r.slot;
    a.received = r.received;
    a.request = std::move(r.request);
  }
  uint64_t fills = table_->counters().cache_fills;
  answered.backup_fills = fills - fills_reported_;
  fills_reported_ = fills;
  TableCounters counters = table_->counters();
  answered.replica_work.replica_failovers = counters.replica_failovers - reported_.replica_failovers;
  answered.replica_work.read_repairs = counters.read_repairs - reported_.read_repairs;
  answered.replica_work.writes_missed_copy = counters.writes_missed_copy - reported_.writes_missed_copy;
  reported_ = counters;
  done_->Push(std::move(answered));
}

void MapWorker::RunGroup(std::vector<LookupRequest>* batch, const std::vector<size_t>& group,
                         std::vector<LookupAnswer>* answers) {
  const Operation op = (*batch)[group[0]].request.op;
  ExactKeyCache* cache = AsExactKeyCache(table_.get());
  if (op != Operation::kLookup && cache == nullptr) {
    Status refused = Status::Refused("table " + table_->full_name() +
                                     " has no exact-key access: only memcache tables do");
    for (size_t i : group)
      (*answers)[i].results.assign((*batch)[i].request.keys.size(), KeyAnswer{refused, {}, 0});
    return;
  }
  if (op == Operation::kSet) {
    std::vector<CacheItem> items;
    items.reserve(group.size());
    for (size_t i : group) {
      Request& r = (*batch)[i].request;
      items.push_back(CacheItem{r.keys[0], std::move(r.value), r.flags, r.ttl});
    }
    cache->SetExact(items, &statuses_);
    for (size_t j = 0; j < group.size(); ++j)
      (*answers)[group[j]].results.assign(1, KeyAnswer{statuses_[j], {}, 0});
    return;
  }
  if (op == Operation::kDelete) {
    keys_.clear();
    for (size_t i : group) keys_.push_back((*batch)[i].request.keys[0]);
    cache->DeleteExact(keys_, &statuses_);
    for (size_t j = 0; j < group.size(); ++j)
      (*answers)[group[j]].results.assign(1, KeyAnswer{statuses_[j], {}, 0});
    return;
  }
  // Lookups and gets: each distinct key asked once (clients often want the
  // same popular keys).
  keys_.clear();
  key_of_request_.clear();
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(group.size());
  for (size_t i : group) {
    for (const std::string& key : (*batch)[i].request.keys) {
      auto [it, inserted] = seen.emplace(key, keys_.size());
      if (inserted) keys_.push_back(key);
      key_of_request_.push_back(it->second);
    }
  }
  const bool exact = op == Operation::kGet;
  if (exact)
    cache->GetExact(keys_, &cached_);
  else
    table_->LookupMany(keys_, &results_);
  size_t next = 0;
  for (size_t i : group) {
    std::vector<KeyAnswer>& results = (*answers)[i].results;
    results.resize((*batch)[i].request.keys.size());
    for (KeyAnswer& a : results) {
      size_t k = key_of_request_[next++];
      if (exact) {
        a.status = cached_[k].status;
        if (a.status.ok()) {
          a.value = cached_[k].value;
          a.flags = cached_[k].flags;
        }
      } else {
        a.status = results_[k].status;
        if (a.status.ok()) a.value = results_[k].value;
      }
    }
  }
}

}  // namespace mctable
