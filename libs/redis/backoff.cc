#include "libs/redis/backoff.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace firegrid::redis::internal {

absl::StatusOr<uint64_t> Backoff::Check() const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (now < retry_at_) {
    return absl::UnavailableError(
        absl::StrCat("backing off after connect failures; next attempt in ",
                     absl::FormatDuration(retry_at_ - now)));
  }
  return epoch_;
}

void Backoff::OnFailure(uint64_t epoch) {
  absl::MutexLock lock(&mu_);
  if (epoch != epoch_) return;  // already accounted for by a concurrent attempt
  ++epoch_;
  window_ = std::min(window_ == absl::ZeroDuration() ? initial_ : window_ * 2, max_);
  retry_at_ = clock_->Now() + window_;
}

void Backoff::OnSuccess() {
  absl::MutexLock lock(&mu_);
  ++epoch_;
  window_ = absl::ZeroDuration();
  retry_at_ = absl::InfinitePast();
}

absl::Duration Backoff::window() const {
  absl::MutexLock lock(&mu_);
  return window_;
}

}  // namespace firegrid::redis::internal
