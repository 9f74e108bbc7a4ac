#include "daemon/map_worker.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <map>

namespace mctable {
namespace {

// A table whose first batch call waits until released, so that the test
// can queue requests behind it; it records every batch's size.
class GatedTable : public Table {
 public:
  GatedTable() : Table("gated", "test") {}
  Status Lookup(std::string_view key, std::string* value) override {
    if (key == "error") return Status::TempError("gated:test: broken");
    if (key.rfind("k", 0) != 0) return Status::NotFound();
    *value = "v-" + std::string(key);
    return Status::OK();
  }
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override {
    {
      std::unique_lock<std::mutex> lock(mu);
      entered = true;
      entered_cv.notify_all();
      release_cv.wait(lock, [this] { return released; });
      batch_sizes.push_back(keys.size());
    }
    Table::LookupMany(keys, results);
  }
  void WaitUntilEntered() {
    std::unique_lock<std::mutex> lock(mu);
    entered_cv.wait(lock, [this] { return entered; });
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu);
      released = true;
    }
    release_cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable entered_cv, release_cv;
  bool entered = false, released = false;
  std::vector<size_t> batch_sizes;
};

std::vector<AnsweredBatch> WaitForAnswers(CompletionQueue* queue, size_t count) {
  std::vector<AnsweredBatch> all;
  size_t answers = 0;
  for (int tries = 0; tries < 500 && answers < count; ++tries) {
    pollfd p{queue->fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
    std::vector<AnsweredBatch> some;
    queue->Drain(&some);
    for (auto& b : some) {
      answers += b.answers.size();
      all.push_back(std::move(b));
    }
  }
  return all;
}

LookupRequest Lookup(uint64_t client, uint64_t slot, std::string key) {
  LookupRequest r;
  r.client = client;
  r.slot = slot;
  r.request.keys.push_back(std::move(key));
  r.received = SteadyClock::now();
  return r;
}

TEST(MapWorker, RequestsQueuedDuringABatchGoOutAsOneBatchWithDuplicatesAskedOnce) {
  CompletionQueue done;
  ASSERT_TRUE(done.ok());
  auto owned = std::make_unique<GatedTable>();
  GatedTable* table = owned.get();
  MapWorker worker("m", std::move(owned), 1024, 1000, &done);
  ASSERT_TRUE(worker.Submit(Lookup(1, 0, "k0")));
  table->WaitUntilEntered();
  // While the first batch is inside the table: 100 clients, 10 keys.
  for (uint64_t c = 0; c < 100; ++c)
    ASSERT_TRUE(worker.Submit(Lookup(c, 1, "k" + std::to_string(c % 10))));
  ASSERT_TRUE(worker.Submit(Lookup(200, 0, "missing")));
  ASSERT_TRUE(worker.Submit(Lookup(201, 0, "error")));
  table->Release();
  std::vector<AnsweredBatch> batches = WaitForAnswers(&done, 103);
  worker.Stop();
  ASSERT_EQ(table->batch_sizes.size(), 2u);
  EXPECT_EQ(table->batch_sizes[0], 1u);
  EXPECT_EQ(table->batch_sizes[1], 12u) << "10 distinct keys, one miss, one error";
  std::map<uint64_t, LookupAnswer> by_client;
  for (auto& b : batches)
    for (auto& a : b.answers)
      if (a.slot == 1 || a.client >= 200) by_client[a.client] = a;
  ASSERT_EQ(by_client.size(), 102u);
  for (uint64_t c = 0; c < 100; ++c) {
    ASSERT_TRUE(by_client[c].results[0].status.ok());
    EXPECT_EQ(by_client[c].results[0].value, "v-k" + std::to_string(c % 10));
  }
  EXPECT_TRUE(by_client[200].results[0].status.IsNotFound());
  EXPECT_TRUE(by_client[201].results[0].status.IsTempError());
}

TEST(MapWorker, FullQueueRefusesAndMaxBatchSplits) {
  CompletionQueue done;
  auto owned = std::make_unique<GatedTable>();
  GatedTable* table = owned.get();
  MapWorker worker("m", std::move(owned), 4, 10, &done);
  ASSERT_TRUE(worker.Submit(Lookup(1, 0, "k")));
  table->WaitUntilEntered();
  int accepted = 0;
  for (int i = 0; i < 20; ++i)
    if (worker.Submit(Lookup(2, static_cast<uint64_t>(i), "k" + std::to_string(i))))
      ++accepted;
  EXPECT_EQ(accepted, 10);
  table->Release();
  WaitForAnswers(&done, 11);
  worker.Stop();
  EXPECT_EQ(table->batch_sizes, (std::vector<size_t>{1, 4, 4, 2}));
}

// An in-memory exact-key cache that logs each batch call ("get 3", "set 2").
class LoggingCache : public GatedTable, public ExactKeyCache {
 public:
  Status CheckExactKey(std::string_view) const override { return Status::OK(); }
  size_t max_value_size() const override { return 100; }
  void GetExact(std::span<const std::string> keys, std::vector<CachedValue>* results) override {
    WaitUntilReleased();
    calls.push_back("get " + std::to_string(keys.size()));
    results->assign(keys.size(), CachedValue{Status::NotFound(), {}, 0});
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = data.find(keys[i]);
      if (it != data.end()) (*results)[i] = CachedValue{Status::OK(), it->second, 7};
    }
  }
  void SetExact(std::span<const CacheItem> items, std::vector<Status>* results) override {
    WaitUntilReleased();
    calls.push_back("set " + std::to_string(items.size()));
    for (const CacheItem& item : items) data[item.key] = item.value;
    results->assign(items.size(), Status::OK());
  }
  void DeleteExact(std::span<const std::string> keys, std::vector<Status>* results) override {
    WaitUntilReleased();
    calls.push_back("delete " + std::to_string(keys.size()));
    results->clear();
    for (const std::string& key : keys) results->push_back(data.erase(key) ? Status::OK() : Status::NotFound());
  }
  void WaitUntilReleased() {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    entered_cv.notify_all();
    release_cv.wait(lock, [this] { return released; });
  }
  std::map<std::string, std::string> data;
  std::vector<std::string> calls;
};

LookupRequest Exact(uint64_t slot, Operation op, std::vector<std::string> keys, std::string value = "") {
  LookupRequest r;
  r.client = 1;
  r.slot = slot;
  r.request.op = op;
  r.request.keys = std::move(keys);
  r.request.value = std::move(value);
  r.received = SteadyClock::now();
  return r;
}

TEST(MapWorker, ExactOperationsOfABatchGoOutOnePerKindYetInOrderPerKey) {
  auto owned = std::make_unique<LoggingCache>();
  LoggingCache* cache = owned.get();
  CompletionQueue done;
  MapWorker worker("m", std::move(owned), 1024, 1024, &done);
  ASSERT_TRUE(worker.Submit(Exact(0, Operation::kGet, {"first"})));
  cache->WaitUntilEntered();
  // Queued behind the first call: gets and sets of different keys mix,
  // then a get of a key set earlier in the batch.
  ASSERT_TRUE(worker.Submit(Exact(1, Operation::kSet, {"a"}, "va")));
  ASSERT_TRUE(worker.Submit(Exact(2, Operation::kGet, {"b", "c"})));
  ASSERT_TRUE(worker.Submit(Exact(3, Operation::kSet, {"b"}, "vb")));
  ASSERT_TRUE(worker.Submit(Exact(4, Operation::kGet, {"c"})));
  ASSERT_TRUE(worker.Submit(Exact(5, Operation::kGet, {"a"})));
  ASSERT_TRUE(worker.Submit(Exact(6, Operation::kDelete, {"a"})));
  cache->Release();
  std::map<uint64_t, LookupAnswer> by_slot;
  for (auto& b : WaitForAnswers(&done, 7))
    for (auto& a : b.answers) by_slot[a.slot] = std::move(a);
  ASSERT_EQ(by_slot.size(), 7u);
  EXPECT_EQ(cache->calls, (std::vector<std::string>{"get 1", "get 2", "set 2", "get 1", "delete 1"}))
      << "b and c in one get before both sets; a's get after its set, its delete after that";
  ASSERT_EQ(by_slot[2].results.size(), 2u);
  EXPECT_TRUE(by_slot[2].results[0].status.IsNotFound()) << "b was read before its later set";
  ASSERT_TRUE(by_slot[5].results[0].status.ok());
  EXPECT_EQ(by_slot[5].results[0].value, "va");
  EXPECT_EQ(by_slot[5].results[0].flags, 7u);
  EXPECT_TRUE(by_slot[6].results[0].status.ok());
  EXPECT_EQ(by_slot[6].request.op, Operation::kDelete) << "the request comes back for the reply";
}

TEST(MapWorker, ExactOperationsOnATableWithoutThemAreRefused) {
  CompletionQueue done;
  auto table = std::make_unique<GatedTable>();
  table->Release();
  MapWorker worker("m", std::move(table), 1024, 1024, &done);
  ASSERT_TRUE(worker.Submit(Exact(0, Operation::kSet, {"a"}, "v")));
  auto batches = WaitForAnswers(&done, 1);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].answers[0].results[0].status.IsRefused());
}

}  // namespace
}  // namespace mctable
