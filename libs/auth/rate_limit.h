#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace firegrid::auth {

// The answer of a limiter to one request.
struct LimitDecision {
  bool allowed = true;
  // When refused: how long until the request would be allowed (> 0). Zero when allowed.
  absl::Duration retry_after = absl::ZeroDuration();
};

// A per-key request limit (the key: a principal's subject); what the Authenticator charges.
// Implementations: RateLimiter below (in memory, per replica) and server::RedisRateLimiter
// (libs/server/shared_rate_limit.h: one budget shared by every replica through Redis).
// Thread-safe.
class Limiter {
 public:
  virtual ~Limiter() = default;
  // Charges one request to `key`.
  virtual LimitDecision Take(const std::string& key) = 0;
};

// A token bucket per key: `rate` requests per second on average, bursts of up to `burst`. Per
// replica and in memory: it protects a replica from one caller's flood, it is not a global
// quota (the fallback of the shared limiter, the failed-authentication throttle, tests).
class RateLimiter final : public Limiter {
 public:
  RateLimiter(double rate_per_second, double burst, Clock* clock);

  // Takes one token for `key`; when its bucket is empty, refused with the time until the next
  // token (1 / rate at most).
  LimitDecision Take(const std::string& key) override;
  // Takes one token for `key`; false when its bucket is empty.
  bool Allow(const std::string& key) { return Take(key).allowed; }
  // True when `key` has a token left, without taking it.
  bool Available(const std::string& key);

 private:
  struct Bucket {
    // Tokens after refilling up to `now`.
    double Refilled(absl::Time now, double rate, double burst) const;

    double tokens;
    absl::Time updated;
  };
  const double rate_;
  const double burst_;
  Clock* clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::auth
