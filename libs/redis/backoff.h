#pragma once

// Private to firegrid_redis (and its tests): the reconnect backoff schedule of Pool.

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace firegrid::redis::internal {

// After a failed connect, further connects are refused until `initial` has passed; each further
// failure doubles the window, up to `max`. A success resets it. Thread-safe.
//
// Check() hands out the current epoch; OnFailure(epoch) grows the window only when no other
// failure or success was recorded since that Check, so that N threads failing together on one
// outage widen the window once, not N times.
class Backoff {
 public:
  Backoff(Clock* clock, absl::Duration initial, absl::Duration max)
      : clock_(clock), initial_(initial), max_(max) {}

  // The epoch when a connect may be tried now; UNAVAILABLE naming the remaining wait otherwise.
  absl::StatusOr<uint64_t> Check() const;
  void OnFailure(uint64_t epoch);
  void OnSuccess();

  // The current window (zero after a success).
  absl::Duration window() const;

 private:
  Clock* const clock_;
  const absl::Duration initial_;
  const absl::Duration max_;
  mutable absl::Mutex mu_;
  absl::Duration window_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firegrid::redis::internal
