#include "libs/common/stop_flag.h"

#include <thread>

#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(StopFlagTest, WaitForReturnsFalseAfterTheIntervalWhenNotStopped) {
  StopFlag flag;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(flag.WaitFor(absl::Milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_FALSE(flag.stopped());
}

TEST(StopFlagTest, StopWakesAWaiterAtOnce) {
  StopFlag flag;
  std::thread stopper([&] { flag.Stop(); });
  // An hour-long wait ends as soon as Stop() is called (the test would time out otherwise).
  EXPECT_TRUE(flag.WaitFor(absl::Hours(1)));
  stopper.join();
  EXPECT_TRUE(flag.stopped());
}

TEST(StopFlagTest, WaitAfterStopReturnsTrueImmediately) {
  StopFlag flag;
  flag.Stop();
  EXPECT_TRUE(flag.WaitFor(absl::Hours(1)));
}

TEST(StopFlagTest, ResetLetsALoopWaitAgain) {
  StopFlag flag;
  flag.Stop();
  flag.Reset();
  EXPECT_FALSE(flag.stopped());
  EXPECT_FALSE(flag.WaitFor(absl::Milliseconds(1)));
}

}  // namespace
}  // namespace firegrid
