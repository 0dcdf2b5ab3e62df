#include "libs/auth/rate_limit.h"

#include <algorithm>

namespace firegrid::auth {
namespace {
// Above this many buckets, full ones (idle callers) are dropped: they would start full anyway.
constexpr size_t kMaxBuckets = 100000;
}  // namespace

RateLimiter::RateLimiter(double rate_per_second, double burst, Clock* clock)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), clock_(clock) {}

double RateLimiter::Bucket::Refilled(absl::Time now, double rate, double burst) const {
  // A wall clock that steps back (NTP, a faked test clock) neither drains nor refills.
  const absl::Duration elapsed = std::max(absl::ZeroDuration(), now - updated);
  return std::min(burst, tokens + absl::ToDoubleSeconds(elapsed) * rate);
}

bool RateLimiter::Available(const std::string& key) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(key);
  return it == buckets_.end() || it->second.Refilled(now, rate_, burst_) >= 1.0;
}

LimitDecision RateLimiter::Take(const std::string& key) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = b.Refilled(now, rate_, burst_);
    b.updated = std::max(b.updated, now);
  }
  LimitDecision d;
  d.allowed = b.tokens >= 1.0;
  if (d.allowed) {
    b.tokens -= 1.0;
  } else {
    // The missing part of a token, at `rate_` per second; never zero for a refusal.
    d.retry_after = std::max(absl::Milliseconds(1), absl::Seconds((1.0 - b.tokens) / rate_));
  }
  if (buckets_.size() > kMaxBuckets) {
    absl::erase_if(
        buckets_, [&](const auto& kv) { return kv.second.Refilled(now, rate_, burst_) >= burst_; });
  }
  return d;
}

}  // namespace firegrid::auth
