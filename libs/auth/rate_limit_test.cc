#include "libs/auth/rate_limit.h"

#include "gtest/gtest.h"

namespace firegrid::auth {
namespace {

TEST(RateLimiter, AllowsABurstThenTheRate) {
  FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3, &clock);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Milliseconds(500));  // one token back
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Seconds(60));  // refills to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
}

TEST(RateLimiter, ARefusalSaysHowLongUntilTheNextToken) {
  FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/4, /*burst=*/1, &clock);
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_EQ(limiter.Take("a").retry_after, absl::Milliseconds(250));
  clock.Advance(absl::Milliseconds(100));
  LimitDecision d = limiter.Take("a");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(150));
  clock.Advance(d.retry_after);
  d = limiter.Take("a");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());
}

TEST(RateLimiter, KeysHaveTheirOwnBuckets) {
  FakeClock clock;
  RateLimiter limiter(1, 1, &clock);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b"));
}

TEST(RateLimiter, AvailableLooksWithoutTakingAToken) {
  FakeClock clock;
  RateLimiter limiter(1, 2, &clock);
  EXPECT_TRUE(limiter.Available("a"));
  EXPECT_TRUE(limiter.Available("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Available("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Available("a"));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter.Available("a"));
}

TEST(RateLimiter, AClockThatStepsBackNeitherDrainsNorRefills) {
  FakeClock clock;
  RateLimiter limiter(1, 2, &clock);
  EXPECT_TRUE(limiter.Allow("a"));  // one token left
  clock.Advance(absl::Seconds(-30));
  EXPECT_TRUE(limiter.Available("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Seconds(30));  // back where it was: no refill for the step back
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter.Allow("a"));
}

}  // namespace
}  // namespace firegrid::auth
