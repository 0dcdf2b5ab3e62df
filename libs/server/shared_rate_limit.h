#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "libs/auth/rate_limit.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"

namespace firegrid::server {

struct RedisRateLimiterOptions {
  // Keys "<key_prefix>:<key>", e.g. "fg:hazards:ratelimit:<subject>": one budget per service
  // and principal, shared by the service's replicas. Each key expires once its budget is full
  // again.
  std::string key_prefix;
  double rate_per_second = 100;
  double burst = 500;
  // The time the script counts in. nullptr (production): Redis's own TIME, read inside the
  // script, so every replica counts on one clock and a replica whose wall clock steps cannot
  // drain or refill anyone's budget. Tests pass a FakeClock: its time is sent with each call.
  Clock* clock = nullptr;
};

// The per-principal rate limit shared by a service's replicas: GCRA (the generic cell rate
// algorithm, equivalent to a token bucket of `burst` tokens refilled at `rate_per_second`) in
// one Lua script per request, run atomically by Redis. A key holds one number, the theoretical
// arrival time of the next request; a refused request changes nothing and learns how long until
// it would be allowed.
//
// Redis unreachable or failing (UNAVAILABLE, a timeout of the pool given): the request is
// charged to an in-memory RateLimiter of the same rate and burst instead (per replica: the
// service keeps answering, each replica enforcing the limit alone, so N replicas allow N times
// the rate while the store is down). Each such fallback is counted (store_failures(), exported
// as firegrid_rate_limit_store_failures_total) and the first one after a success is logged, as
// is the recovery. An outage of the limiter's store never takes the service down.
class RedisRateLimiter final : public auth::Limiter {
 public:
  // `pool` is not owned and must outlive the limiter.
  RedisRateLimiter(redis::Pool* pool, RedisRateLimiterOptions options);

  auth::LimitDecision Take(const std::string& key) override;
  int64_t store_failures() const { return store_failures_.load(std::memory_order_relaxed); }

 private:
  redis::Pool* pool_;
  const RedisRateLimiterOptions options_;
  const std::string interval_us_;  // 1e6 / rate, as the script's argument
  const std::string burst_;
  auth::RateLimiter fallback_;
  std::atomic<int64_t> store_failures_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace firegrid::server
