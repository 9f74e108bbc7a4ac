#include "common/lookup_metrics.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(LookupMetrics, CountsAndPercentiles) {
  LookupMetrics m;
  EXPECT_EQ(m.PercentileUs(0.5), 0u);
  for (uint64_t us = 1; us <= 1000; ++us)
    m.Record(us % 10 == 0 ? LookupMetrics::Outcome::kMiss : LookupMetrics::Outcome::kHit, us);
  m.Record(LookupMetrics::Outcome::kError, 5000);
  m.AddBackupFills(3);
  EXPECT_EQ(m.lookups(), 1001u);
  EXPECT_EQ(m.hits(), 900u);
  EXPECT_EQ(m.misses(), 100u);
  EXPECT_EQ(m.errors(), 1u);
  EXPECT_EQ(m.backup_fills(), 3u);
  EXPECT_EQ(m.max_us(), 5000u);
  // Within the histogram's 1/16 precision, never below the true value.
  uint64_t p50 = m.PercentileUs(0.5);
  EXPECT_GE(p50, 501u);
  EXPECT_LE(p50, 501u + 501u / 16 + 1);
  uint64_t p99 = m.PercentileUs(0.99);
  EXPECT_GE(p99, 991u);
  EXPECT_LE(p99, 991u + 991u / 16 + 1);
  EXPECT_EQ(m.PercentileUs(1.0), 5000u);
}

TEST(LookupMetrics, SmallValuesAreExact) {
  LookupMetrics m;
  for (int i = 0; i < 10; ++i) m.Record(LookupMetrics::Outcome::kHit, 7);
  EXPECT_EQ(m.PercentileUs(0.5), 7u);
  EXPECT_EQ(m.Format("x"),
            "map x: lookups=10 hits=10 misses=0 errors=0 backup_fills=0 p50_us=7 p90_us=7 "
            "p99_us=7 p999_us=7 max_us=7 failovers=0 read_repairs=0 writes_missed_copy=0");
}

TEST(LookupMetrics, HugeLatencyDoesNotOverflow) {
  LookupMetrics m;
  m.Record(LookupMetrics::Outcome::kHit, UINT64_MAX);
  EXPECT_EQ(m.PercentileUs(0.5), UINT64_MAX);
}

}  // namespace
}  // namespace mctable
