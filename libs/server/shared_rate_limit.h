#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
  // Token leases (docs/adr/0014): a replica serving a principal at a high rate takes up to
  // `max_lease` tokens in one script run and spends them locally for at most `lease_hold`;
  // tokens left when the hold ends are dropped (they were charged). The lease size follows the
  // principal's requests on this replica in the previous hold: 1 (one script run per request)
  // for a principal calling less than once per hold. 1 turns leases off.
  int max_lease = 16;
  // Holds are timed on `clock` (the real clock when it is nullptr).
  absl::Duration lease_hold = absl::Milliseconds(50);
};

// The per-principal rate limit shared by a service's replicas: GCRA (the generic cell rate
// algorithm, equivalent to a token bucket of `burst` tokens refilled at `rate_per_second`) in
// a Lua script run atomically by Redis. A key holds one number, the theoretical arrival time of
// the next request; a refused request changes nothing and learns how long until it would be
// allowed.
//
// A principal calling this replica at a high rate is charged in leases (options above): one
// script run grants up to max_lease tokens, the next requests spend them without a round trip.
// The shared budget is never exceeded over time, since every token is charged when granted;
// a token spent up to lease_hold after its grant makes the largest burst seen in a short window
// rate * lease_hold larger (5 requests at 100/s with the 50 ms default), and tokens dropped at
// the end of a hold make the principal's rate that much smaller.
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
  // Tokens this replica holds for one key, and how many requests it had in the current and
  // the previous hold window (the next lease's size).
  struct Held {
    int64_t tokens = 0;
    absl::Time granted;  // the hold of `tokens` ends at granted + lease_hold
    absl::Time window_start;
    int64_t in_window = 0;
    int64_t previous_window = 0;
  };
  // Counts a request of `key` at `now`; spends a held token (true) or says how many to ask for.
  bool SpendHeld(const std::string& key, absl::Time now, int64_t* lease);
  void Hold(const std::string& key, absl::Time now, int64_t tokens);

  auth::RateLimiter fallback_;
  Clock* const hold_clock_;
  std::atomic<int64_t> store_failures_{0};
  std::atomic<bool> failing_{false};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Held> held_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::server
