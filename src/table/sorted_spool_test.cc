// Tests for SortedSpool: the order, its stability, runs through the file,
// oversized records, errors and interrupts.
#include "table/sorted_spool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/interrupt.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

struct Record {
  std::string key;
  std::string value;
  uint64_t sequence;
};

std::vector<Record> DrainAll(SortedSpool* spool) {
  std::vector<Record> out;
  Status status = spool->Drain([&](std::string_view key, std::string_view value, uint64_t sequence) {
    out.push_back({std::string(key), std::string(value), sequence});
    return Status::OK();
  });
  EXPECT_TRUE(status.ok()) << status.message();
  return out;
}

// Keys with many repeats, in a scrambled order; value = "v<sequence>".
std::vector<Record> Input(int count, size_t value_bytes = 8) {
  std::vector<Record> in;
  for (int i = 0; i < count; ++i) {
    std::string value = "v" + std::to_string(i);
    value.resize(std::max(value.size(), value_bytes), '.');
    in.push_back({"key" + std::to_string((i * 7919) % (count / 3 + 1)), value, static_cast<uint64_t>(i)});
  }
  return in;
}

// What the spool must give: a stable sort of the input by `before`.
template <typename Before>
std::vector<Record> Expected(std::vector<Record> in, Before before) {
  std::stable_sort(in.begin(), in.end(), [&](const Record& a, const Record& b) { return before(a.key, b.key); });
  return in;
}

void ExpectSame(const std::vector<Record>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].key, want[i].key) << "at " << i;
    ASSERT_EQ(got[i].value, want[i].value) << "at " << i;
    ASSERT_EQ(got[i].sequence, want[i].sequence) << "at " << i;
  }
}

uint32_t Reversed(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

TEST(SortedSpool, SmallSpoolInMemoryInByteOrderStable) {
  testutil::TempDir dir;
  SortedSpool spool(SortedSpool::Order::kBytes, dir.path(), 1 << 20);
  std::vector<Record> in = Input(500);
  in.push_back({std::string("\xff" "high", 5), "h", 500});  // bytes compare unsigned
  in.push_back({"", "empty key", 501});
  for (const Record& r : in) ASSERT_TRUE(spool.Add(r.key, r.value).ok());
  ExpectSame(DrainAll(&spool), Expected(in, [](const std::string& a, const std::string& b) { return a < b; }));
  EXPECT_EQ(spool.runs_written(), 0u);
}

TEST(SortedSpool, RunsThroughTheFileMergeInOrder) {
  testutil::TempDir dir;
  SortedSpool spool(SortedSpool::Order::kBytes, dir.path(), 4096);
  std::vector<Record> in = Input(5000);
  // Larger than the whole buffer: a run of its own.
  in.insert(in.begin() + 2500, Record{"key17", std::string(10000, 'x'), 0});
  for (size_t i = 0; i < in.size(); ++i) in[i].sequence = i;
  for (const Record& r : in) ASSERT_TRUE(spool.Add(r.key, r.value).ok());
  std::vector<Record> got = DrainAll(&spool);
  EXPECT_GT(spool.runs_written(), 10u);
  ExpectSame(got, Expected(in, [](const std::string& a, const std::string& b) { return a < b; }));
}

TEST(SortedSpool, HashBucketOrderKeepsEqualKeysInSourceOrder) {
  testutil::TempDir dir;
  for (size_t run_bytes : {size_t{1} << 20, size_t{4096}}) {
    SortedSpool spool(SortedSpool::Order::kHashBuckets, dir.path(), run_bytes);
    std::vector<Record> in = Input(3000);
    for (const Record& r : in) ASSERT_TRUE(spool.Add(r.key, r.value).ok());
    auto by_bucket = [](const std::string& a, const std::string& b) {
      return Reversed(SortedSpool::BerkeleyDbHash(a)) < Reversed(SortedSpool::BerkeleyDbHash(b));
    };
    ExpectSame(DrainAll(&spool), Expected(in, by_bucket));
  }
}

TEST(SortedSpool, BerkeleyDbHashIsFnv1WithZeroBasis) {
  EXPECT_EQ(SortedSpool::BerkeleyDbHash(""), 0u);
  EXPECT_EQ(SortedSpool::BerkeleyDbHash("a"), 97u);
  EXPECT_EQ(SortedSpool::BerkeleyDbHash("ab"), (97u * 16777619u) ^ 98u);
}

TEST(SortedSpool, EmitErrorStopsTheDrain) {
  testutil::TempDir dir;
  for (size_t run_bytes : {size_t{1} << 20, size_t{4096}}) {
    SortedSpool spool(SortedSpool::Order::kBytes, dir.path(), run_bytes);
    for (const Record& r : Input(1000)) ASSERT_TRUE(spool.Add(r.key, r.value).ok());
    int calls = 0;
    Status status = spool.Drain([&](std::string_view, std::string_view, uint64_t) {
      return ++calls == 10 ? Status::TempError("disk full") : Status::OK();
    });
    EXPECT_EQ(status.message(), "disk full");
    EXPECT_EQ(calls, 10);
  }
}

TEST(SortedSpool, InterruptStopsTheDrain) {
  testutil::TempDir dir;
  SortedSpool spool(SortedSpool::Order::kBytes, dir.path(), 4096);
  for (const Record& r : Input(1000)) ASSERT_TRUE(spool.Add(r.key, r.value).ok());
  RequestInterrupt(15);
  int calls = 0;
  Status status = spool.Drain([&](std::string_view, std::string_view, uint64_t) {
    ++calls;
    return Status::OK();
  });
  ClearInterrupt();
  EXPECT_EQ(status.message(), "interrupted by signal 15");
  EXPECT_EQ(calls, 0);
}

TEST(SortedSpool, UnwritableDirectoryIsAnError) {
  SortedSpool spool(SortedSpool::Order::kBytes, "/nonexistent-mctable-dir", 4096);
  Status status;
  for (const Record& r : Input(1000))
    if (!(status = spool.Add(r.key, r.value)).ok()) break;
  EXPECT_TRUE(status.IsError());
  EXPECT_NE(status.message().find("/nonexistent-mctable-dir"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace mctable
