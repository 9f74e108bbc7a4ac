// LookupMetrics: what one map's lookups came to: counts of lookups, hits,
// misses, errors and backup fills, and a latency histogram from which
// percentiles are read.  Shared by mctabled (per map, since start) and
// `mctable -q --stats` (per map, for one run), so both print the same
// figures in the same form.
//
// Contract: not thread-safe (one owner records and reads; mctabled records
// on its event loop).  The histogram keeps 16 sub-buckets per power of two
// of microseconds, so a percentile is exact below 16 us and within 1/16
// (6%) above, reported as its bucket's upper bound.  Memory is fixed
// (about 8 KiB); recording never allocates.
#ifndef MCTABLE_COMMON_LOOKUP_METRICS_H_
#define MCTABLE_COMMON_LOOKUP_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mctable {

class LookupMetrics {
 public:
  enum class Outcome { kHit, kMiss, kError };

  void Record(Outcome outcome, uint64_t latency_us);
  void AddBackupFills(uint64_t count) { backup_fills_ += count; }
  // A memcache table's replica work (TableCounters), as deltas.
  void AddReplicaWork(uint64_t failovers, uint64_t read_repairs, uint64_t writes_missed_copy) {
    failovers_ += failovers;
    read_repairs_ += read_repairs;
    writes_missed_copy_ += writes_missed_copy;
  }

  uint64_t lookups() const { return hits_ + misses_ + errors_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t errors() const { return errors_; }
  uint64_t backup_fills() const { return backup_fills_; }
  uint64_t failovers() const { return failovers_; }
  uint64_t read_repairs() const { return read_repairs_; }
  uint64_t writes_missed_copy() const { return writes_missed_copy_; }
  uint64_t max_us() const { return max_us_; }
  // The latency at or below which `fraction` (0..1] of the lookups fell;
  // 0 when nothing was recorded.
  uint64_t PercentileUs(double fraction) const;

  // "map NAME: lookups=N hits=N misses=N errors=N backup_fills=N
  //  p50_us=N p90_us=N p99_us=N p999_us=N max_us=N failovers=N read_repairs=N
  //  writes_missed_copy=N" (one line, no newline).
  std::string Format(std::string_view map_name) const;

 private:
  static constexpr int kSubBuckets = 16;
  static constexpr int kBuckets = kSubBuckets * 61;  // up to 2^64 us
  static int BucketOf(uint64_t us);
  static uint64_t BucketUpperBound(int bucket);

  uint64_t hits_ = 0, misses_ = 0, errors_ = 0, backup_fills_ = 0, max_us_ = 0;
  uint64_t failovers_ = 0, read_repairs_ = 0, writes_missed_copy_ = 0;
  std::array<uint64_t, kBuckets> histogram_{};
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_LOOKUP_METRICS_H_
