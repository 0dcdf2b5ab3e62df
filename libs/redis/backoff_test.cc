#include "libs/redis/backoff.h"

#include "gtest/gtest.h"

namespace firegrid::redis::internal {
namespace {

TEST(Backoff, AllowsAttemptsUntilTheFirstFailure) {
  FakeClock clock;
  Backoff b(&clock, absl::Milliseconds(50), absl::Seconds(5));
  EXPECT_TRUE(b.Check().ok());
  EXPECT_TRUE(b.Check().ok());
  EXPECT_EQ(b.window(), absl::ZeroDuration());
}

TEST(Backoff, WindowDoublesFromInitialUpToMax) {
  FakeClock clock;
  Backoff b(&clock, absl::Milliseconds(50), absl::Milliseconds(300));
  const absl::Duration expected[] = {absl::Milliseconds(50), absl::Milliseconds(100),
                                     absl::Milliseconds(200), absl::Milliseconds(300),
                                     absl::Milliseconds(300)};
  for (absl::Duration window : expected) {
    absl::StatusOr<uint64_t> epoch = b.Check();
    ASSERT_TRUE(epoch.ok());
    b.OnFailure(*epoch);
    EXPECT_EQ(b.window(), window);
    // Refused for the whole window, allowed right at its end.
    EXPECT_EQ(b.Check().status().code(), absl::StatusCode::kUnavailable);
    clock.Advance(window - absl::Milliseconds(1));
    EXPECT_EQ(b.Check().status().code(), absl::StatusCode::kUnavailable);
    clock.Advance(absl::Milliseconds(1));
    EXPECT_TRUE(b.Check().ok());
  }
}

TEST(Backoff, SuccessResetsTheWindow) {
  FakeClock clock;
  Backoff b(&clock, absl::Milliseconds(50), absl::Seconds(5));
  b.OnFailure(*b.Check());
  clock.Advance(absl::Milliseconds(50));
  b.OnFailure(*b.Check());
  EXPECT_EQ(b.window(), absl::Milliseconds(100));
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(b.Check().ok());
  b.OnSuccess();
  EXPECT_EQ(b.window(), absl::ZeroDuration());
  EXPECT_TRUE(b.Check().ok());
  b.OnFailure(*b.Check());
  EXPECT_EQ(b.window(), absl::Milliseconds(50));
}

TEST(Backoff, ConcurrentFailuresOfOneOutageWidenTheWindowOnce) {
  FakeClock clock;
  Backoff b(&clock, absl::Milliseconds(50), absl::Seconds(5));
  // Three callers pass the check together, then all fail.
  uint64_t e1 = *b.Check();
  uint64_t e2 = *b.Check();
  uint64_t e3 = *b.Check();
  b.OnFailure(e1);
  b.OnFailure(e2);
  b.OnFailure(e3);
  EXPECT_EQ(b.window(), absl::Milliseconds(50));
}

TEST(Backoff, BackoffMessageSaysWhenTheNextAttemptIs) {
  FakeClock clock;
  Backoff b(&clock, absl::Milliseconds(50), absl::Seconds(5));
  b.OnFailure(*b.Check());
  clock.Advance(absl::Milliseconds(20));
  absl::Status s = b.Check().status();
  EXPECT_NE(s.message().find("next attempt in 30ms"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace firegrid::redis::internal
