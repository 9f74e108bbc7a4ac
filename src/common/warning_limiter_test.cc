// Tests for WarningLimiter (warning_limiter.h), on a clock given by the test.
#include "common/warning_limiter.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using std::chrono::seconds;

TEST(WarningLimiter, FirstThenOneCountPerInterval) {
  CapturedWarnings log;
  auto t0 = WarningLimiter::Clock::time_point{} + seconds(1000);
  {
    WarningLimiter limiter(seconds(10));
    limiter.Warn("down", t0);
    for (int i = 1; i <= 179; ++i) limiter.Warn("down", t0 + std::chrono::milliseconds(50 * i));
    EXPECT_EQ(limiter.held_back(), 179u);
    EXPECT_EQ(log.lines(), std::vector<std::string>{"down"});
    limiter.Warn("down again", t0 + seconds(12));
    EXPECT_EQ(limiter.held_back(), 0u);
    limiter.Warn("quiet", t0 + seconds(13));
  }
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "down", "down again (and 179 more like it in the last 12 s)",
                             "quiet (and 1 more like it in the last 1 s)"}))
      << "a count still held back is logged when the limiter goes";
}

TEST(WarningLimiter, RareWarningsAreAllLogged) {
  CapturedWarnings log;
  auto t0 = WarningLimiter::Clock::time_point{} + seconds(1000);
  {
    WarningLimiter limiter(seconds(10));
    limiter.Warn("a", t0);
    limiter.Warn("b", t0 + seconds(10));
    limiter.Warn("c", t0 + seconds(30));
  }
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace mctable
