// The per-map lookup thread and the queue of answers; see map_worker.h.
#include "daemon/map_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>

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

MapWorker::~MapWorker() { Stop(); }

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
      if (!s.ok()) LogWarning("map " + map_name_ + ": close of the old table: " + s.message());
      retired.reset();
    }
    if (!batch.empty()) LookupBatch(&batch);
    batch.clear();
  }
  if (table_) {
    Status s = table_->Close();
    if (!s.ok()) LogWarning("map " + map_name_ + ": close: " + s.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
}

void MapWorker::LookupBatch(std::vector<LookupRequest>* batch) {
  // Ask each distinct key once: clients often want the same popular keys.
  keys_.clear();
  key_of_request_.resize(batch->size());
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) {
    const std::string& key = (*batch)[i].key;
    auto [it, inserted] = seen.emplace(key, keys_.size());
    if (inserted) keys_.push_back(key);
    key_of_request_[i] = it->second;
  }
  table_->LookupMany(keys_, &results_);

  AnsweredBatch answered;
  answered.map_name = map_name_;
  answered.answers.resize(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) {
    LookupAnswer& a = answered.answers[i];
    LookupRequest& r = (*batch)[i];
    a.client = r.client;
    a.slot = r.slot;
    a.received = r.received;
    const LookupResult& result = results_[key_of_request_[i]];
    a.result.status = result.status;
    if (result.status.ok()) a.result.value = result.value;
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

}  // namespace mctable
