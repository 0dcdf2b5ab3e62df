#include "libs/server/shared_rate_limit.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/redis/script.h"

namespace firegrid::server {
namespace {

// GCRA. KEYS[1]: the theoretical arrival time (TAT) of the key's next request, microseconds
// since the epoch. ARGV: the emission interval in microseconds (1e6 / rate), the burst, the
// time in microseconds ("": Redis TIME). The TAT may run ahead of now by burst * interval at
// most; a TAT further ahead (the clock stepped back) is stored clamped there: the budget is
// spent, not locked for the length of the step. A request is allowed when TAT + interval - burst *
// interval <= now, and then moves the TAT on by one interval. Returns {1, 0} or {0, microseconds
// until allowed}.
const redis::Script& GcraScript() {
  static const redis::Script* script = new redis::Script(R"lua(
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[3])
end
local limit = burst * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat > now + limit then
  tat = now + limit
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil(limit / 1000) + 1)
end
local next_tat = tat + interval
local wait = next_tat - limit - now
if wait > 0 then
  return {0, math.ceil(wait)}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
           'PX', math.ceil((next_tat - now) / 1000) + 1)
return {1, 0}
)lua");
  return *script;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::Pool* pool, RedisRateLimiterOptions options)
    : pool_(pool),
      options_(std::move(options)),
      interval_us_(absl::StrFormat("%.3f", 1e6 / options_.rate_per_second)),
      burst_(absl::StrFormat("%.3f", std::max(1.0, options_.burst))),
      fallback_(options_.rate_per_second, options_.burst,
                options_.clock != nullptr ? options_.clock : RealClock::Get()) {}

auth::LimitDecision RedisRateLimiter::Take(const std::string& key) {
  const std::string now =
      options_.clock == nullptr ? "" : absl::StrCat(absl::ToUnixMicros(options_.clock->Now()));
  absl::StatusOr<redis::Reply> r = GcraScript().Run(
      *pool_, {absl::StrCat(options_.key_prefix, ":", key)}, {interval_us_, burst_, now});
  absl::Status error = r.status();
  if (r.ok() && (r->type != redis::Reply::Type::kArray || r->elements.size() != 2)) {
    error = absl::InternalError("unexpected reply of the rate limit script");
  }
  if (!error.ok()) {
    store_failures_.fetch_add(1, std::memory_order_relaxed);
    if (!failing_.exchange(true)) {
      log::Warn("rate limit store unavailable; limiting per replica until it is back",
                {{"error", std::string(error.message())}});
    }
    return fallback_.Take(key);
  }
  if (failing_.exchange(false)) log::Info("rate limit store reachable again");
  auth::LimitDecision d;
  d.allowed = r->elements[0].integer == 1;
  if (!d.allowed) d.retry_after = absl::Microseconds(std::max<int64_t>(1, r->elements[1].integer));
  return d;
}

}  // namespace firegrid::server
