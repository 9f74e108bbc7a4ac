// Counters and a log-linear latency histogram; see lookup_metrics.h.
#include "common/lookup_metrics.h"

#include <bit>

namespace mctable {

// Values below 16 have a bucket each; above, the bucket is the power of two
// (e >= 4) and the next four bits below the leading one.
int LookupMetrics::BucketOf(uint64_t us) {
  if (us < kSubBuckets) return static_cast<int>(us);
  int e = 63 - std::countl_zero(us);  // 4..63
  int sub = static_cast<int>((us >> (e - 4)) & (kSubBuckets - 1));
  int bucket = kSubBuckets + (e - 4) * kSubBuckets + sub;
  return bucket < kBuckets ? bucket : kBuckets - 1;
}

uint64_t LookupMetrics::BucketUpperBound(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  int e = (bucket - kSubBuckets) / kSubBuckets + 4;
  uint64_t sub = static_cast<uint64_t>((bucket - kSubBuckets) % kSubBuckets);
  if (e >= 63) return UINT64_MAX;
  uint64_t step = uint64_t{1} << (e - 4);
  return (uint64_t{1} << e) + (sub + 1) * step - 1;
}

void LookupMetrics::Record(Outcome outcome, uint64_t latency_us) {
  switch (outcome) {
    case Outcome::kHit:
      ++hits_;
      break;
    case Outcome::kMiss:
      ++misses_;
      break;
    case Outcome::kError:
      ++errors_;
      break;
  }
  ++histogram_[static_cast<size_t>(BucketOf(latency_us))];
  if (latency_us > max_us_) max_us_ = latency_us;
}

uint64_t LookupMetrics::PercentileUs(double fraction) const {
  uint64_t total = lookups();
  if (total == 0) return 0;
  if (fraction > 1) fraction = 1;
  // The rank of the lookup that the percentile names, 1-based.
  uint64_t rank = static_cast<uint64_t>(fraction * static_cast<double>(total) + 0.999999);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += histogram_[static_cast<size_t>(b)];
    if (seen >= rank) {
      uint64_t bound = BucketUpperBound(b);
      return bound < max_us_ ? bound : max_us_;
    }
  }
  return max_us_;
}

std::string LookupMetrics::Format(std::string_view map_name) const {
  std::string s = "map ";
  s.append(map_name);
  s += ": lookups=" + std::to_string(lookups()) + " hits=" + std::to_string(hits_) +
       " misses=" + std::to_string(misses_) + " errors=" + std::to_string(errors_) +
       " backup_fills=" + std::to_string(backup_fills_) +
       " p50_us=" + std::to_string(PercentileUs(0.50)) +
       " p90_us=" + std::to_string(PercentileUs(0.90)) +
       " p99_us=" + std::to_string(PercentileUs(0.99)) +
       " p999_us=" + std::to_string(PercentileUs(0.999)) + " max_us=" + std::to_string(max_us_) +
       " failovers=" + std::to_string(failovers_) + " read_repairs=" + std::to_string(read_repairs_) +
       " writes_missed_copy=" + std::to_string(writes_missed_copy_);
  return s;
}

}  // namespace mctable
