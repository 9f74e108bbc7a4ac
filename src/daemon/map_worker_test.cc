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

TEST(MapWorker, RequestsQueuedDuringABatchGoOutAsOneBatchWithDuplicatesAskedOnce) {
  CompletionQueue done;
  ASSERT_TRUE(done.ok());
  auto owned = std::make_unique<GatedTable>();
  GatedTable* table = owned.get();
  MapWorker worker("m", std::move(owned), 1024, 1000, &done);
  ASSERT_TRUE(worker.Submit({1, 0, "k0", SteadyClock::now()}));
  table->WaitUntilEntered();
  // While the first batch is inside the table: 100 clients, 10 keys.
  for (uint64_t c = 0; c < 100; ++c)
    ASSERT_TRUE(worker.Submit({c, 1, "k" + std::to_string(c % 10), SteadyClock::now()}));
  ASSERT_TRUE(worker.Submit({200, 0, "missing", SteadyClock::now()}));
  ASSERT_TRUE(worker.Submit({201, 0, "error", SteadyClock::now()}));
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
    ASSERT_TRUE(by_client[c].result.status.ok());
    EXPECT_EQ(by_client[c].result.value, "v-k" + std::to_string(c % 10));
  }
  EXPECT_TRUE(by_client[200].result.status.IsNotFound());
  EXPECT_TRUE(by_client[201].result.status.IsTempError());
}

TEST(MapWorker, FullQueueRefusesAndMaxBatchSplits) {
  CompletionQueue done;
  auto owned = std::make_unique<GatedTable>();
  GatedTable* table = owned.get();
  MapWorker worker("m", std::move(owned), 4, 10, &done);
  ASSERT_TRUE(worker.Submit({1, 0, "k", SteadyClock::now()}));
  table->WaitUntilEntered();
  int accepted = 0;
  for (int i = 0; i < 20; ++i)
    if (worker.Submit({2, static_cast<uint64_t>(i), "k" + std::to_string(i), SteadyClock::now()}))
      ++accepted;
  EXPECT_EQ(accepted, 10);
  table->Release();
  WaitForAnswers(&done, 11);
  worker.Stop();
  EXPECT_EQ(table->batch_sizes, (std::vector<size_t>{1, 4, 4, 2}));
}

}  // namespace
}  // namespace mctable
