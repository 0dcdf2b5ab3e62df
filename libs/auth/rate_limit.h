#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace firegrid::auth {

// A token bucket per key (a principal's subject): `rate` requests per second on average, bursts
// of up to `burst`. Per replica and in memory: it protects a replica from one caller's flood,
// it is not a global quota. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, Clock* clock);

  // Takes one token for `key`; false when its bucket is empty.
  bool Allow(const std::string& key);
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
