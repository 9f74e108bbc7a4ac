// WarningLimiter: keeps a warning that repeats from flooding the log.  A
// daemon asking a server that is down would otherwise log one warning per
// lookup (hundreds a second); one limiter per server of a table keeps the
// first warning, then at most one per interval, which says how many were
// held back since the last one logged:
//
//   ... connect to 127.0.0.1:21212: Connection refused (and 179 more like it in the last 60 s)
//
// A count still held back when the limiter is destroyed (the table closed,
// the program ending) is logged then, with the last text held back and the
// time up to it, so no failure goes unreported.  The clock is a parameter so that unit tests need not
// wait.  Not thread-safe: it belongs to one table, used by one thread at a
// time (mctable/table.h).
#ifndef MCTABLE_COMMON_WARNING_LIMITER_H_
#define MCTABLE_COMMON_WARNING_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mctable {

class WarningLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kDefaultInterval{60};

  explicit WarningLimiter(Clock::duration interval = kDefaultInterval) : interval_(interval) {}
  ~WarningLimiter();
  WarningLimiter(const WarningLimiter&) = delete;
  WarningLimiter& operator=(const WarningLimiter&) = delete;

  // Logs `text` as a warning (LogWarning) when none was logged within the
  // interval, with the count of those held back since; otherwise holds it
  // back and counts it.
  void Warn(std::string_view text, Clock::time_point now = Clock::now());

  uint64_t held_back() const { return held_back_; }

 private:
  std::string Suffix(Clock::time_point now) const;

  Clock::duration interval_;
  bool logged_any_ = false;
  Clock::time_point last_logged_;
  Clock::time_point last_held_;
  uint64_t held_back_ = 0;
  std::string last_text_;  // the newest warning held back
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_WARNING_LIMITER_H_
