// Tests of the timer clocks: the offset moves both forward, and never back.
#include "common/timer_clock.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(TimerClock, AdvanceMovesBothClocksForward) {
  const auto steady = TimerSteadyNow();
  const std::time_t wall = TimerWallSeconds();
  AdvanceTimerClocksForTesting(std::chrono::seconds(90));
  EXPECT_GE(TimerSteadyNow() - steady, std::chrono::seconds(90));
  EXPECT_GE(TimerWallSeconds() - wall, 90);
  EXPECT_LT(TimerWallSeconds() - wall, 90 + 60) << "moved by the offset, not more";
}

TEST(TimerClock, NegativeAdvanceIsIgnored) {
  const auto before = TimerSteadyNow();
  AdvanceTimerClocksForTesting(std::chrono::seconds(-1000));
  EXPECT_GE(TimerSteadyNow(), before);
}

}  // namespace
}  // namespace mctable
