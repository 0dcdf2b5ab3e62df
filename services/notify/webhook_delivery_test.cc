// The retry schedule and what an attempt's outcome does to a delivery.
#include "services/notify/webhook_delivery.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"

namespace firegrid::notify {
namespace {

using google::protobuf::util::TimeUtil;

// ---- Retry schedule ----

TEST(WebhookBackoffTest, BackoffDoublesFromInitialUpToMax) {
  WebhookOptions o;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(10);
  EXPECT_EQ(RetryBackoff(1, o), absl::Seconds(1));
  EXPECT_EQ(RetryBackoff(2, o), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(3, o), absl::Seconds(4));
  EXPECT_EQ(RetryBackoff(4, o), absl::Seconds(8));
  EXPECT_EQ(RetryBackoff(5, o), absl::Seconds(10));
  EXPECT_EQ(RetryBackoff(60, o), absl::Seconds(10));  // no overflow
}

TEST(WebhookBackoffTest, FailedAttemptsScheduleRetriesThenFailAfterMaxAttempts) {
  WebhookOptions o;
  o.max_attempts = 4;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(3);
  FakeClock clock;
  v1::Delivery d;
  d.set_state("pending");
  const absl::Duration expected_waits[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)};
  for (int i = 0; i < 3; ++i) {
    ApplyAttemptOutcome({500, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.attempts(), i + 1);
    EXPECT_EQ(d.state(), "pending");
    EXPECT_EQ(d.last_http_status(), 500);
    EXPECT_EQ(d.last_error(), "HTTP 500");
    EXPECT_EQ(TimeUtil::TimestampToMilliseconds(d.next_attempt_at()),
              absl::ToUnixMillis(clock.Now() + expected_waits[i]));
    EXPECT_EQ(TimeUtil::TimestampToMilliseconds(d.updated_at()), absl::ToUnixMillis(clock.Now()));
    clock.Advance(expected_waits[i]);
  }
  ApplyAttemptOutcome({0, kNoResponseError, "transport: Connection"}, clock.Now(), o, &d);
  EXPECT_EQ(d.attempts(), 4);
  EXPECT_EQ(d.state(), "failed");
  EXPECT_EQ(d.last_http_status(), 0);
  EXPECT_EQ(d.last_error(), kNoResponseError);
  EXPECT_FALSE(d.has_next_attempt_at());
}

TEST(WebhookBackoffTest, Any2xxIsDeliveredAndOtherStatusesAreFailures) {
  FakeClock clock;
  WebhookOptions o;
  for (int status : {200, 201, 202, 204, 299}) {
    v1::Delivery d;
    d.set_state("pending");
    d.set_last_error("HTTP 500");
    ApplyAttemptOutcome({status, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.state(), "delivered") << status;
    EXPECT_EQ(d.last_error(), "") << status;
    EXPECT_FALSE(d.has_next_attempt_at());
  }
  for (int status : {100, 301, 302, 400, 404, 429, 503}) {
    v1::Delivery d;
    d.set_state("pending");
    ApplyAttemptOutcome({status, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.state(), "pending") << status;
    EXPECT_EQ(d.last_error(), absl::StrCat("HTTP ", status));
  }
}

}  // namespace
}  // namespace firegrid::notify
