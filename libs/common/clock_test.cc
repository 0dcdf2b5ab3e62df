#include "libs/common/clock.h"

#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(220));
  clock.Set(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(RealClock, FollowsWallTime) {
  const absl::Time before = absl::Now();
  const absl::Time t = RealClock::Get()->Now();
  EXPECT_GE(t, before);
  EXPECT_LE(t, absl::Now());
}

}  // namespace
}  // namespace firegrid
