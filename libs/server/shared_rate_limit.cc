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
// time in microseconds ("": Redis TIME), the number of requests asked for (a lease; at least 1).
// The TAT may run ahead of now by burst * interval at most; a TAT further ahead (the clock
// stepped back) is stored clamped there: the budget is spent, not locked for the length of the
// step. The j-th request is allowed when TAT + j * interval - burst * interval <= now; the
// allowed ones move the TAT on by one interval each. Returns {granted, 0} with granted >= 1, or
// {0, microseconds until one request is allowed}.
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
local asked = tonumber(ARGV[4]) or 1
local limit = burst * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat > now + limit then
  tat = now + limit
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil(limit / 1000) + 1)
end
local granted = 0
while granted < asked do
  local wait = tat + (granted + 1) * interval - limit - now
  if wait > 0 then
    if granted == 0 then return {0, math.ceil(wait)} end
    break
  end
  granted = granted + 1
end
local next_tat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
           'PX', math.ceil((next_tat - now) / 1000) + 1)
return {granted, 0}
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
                options_.clock != nullptr ? options_.clock : RealClock::Get()),
      hold_clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()) {}

bool RedisRateLimiter::SpendHeld(const std::string& key, absl::Time now, int64_t* lease) {
  const absl::Duration hold = options_.lease_hold;
  absl::MutexLock lock(&mu_);
  // Forget principals idle for two holds, at most once per hold (so that a replica with many
  // busy principals does not walk them all on every call).
  if (held_.size() > 10000 && (now < last_sweep_ || now >= last_sweep_ + hold)) {
    last_sweep_ = now;
    absl::erase_if(held_, [&](const auto& kv) {
      return kv.second.window_start + 2 * hold < now || kv.second.window_start > now;
    });
  }
  Held& h = held_[key];
  // A clock that stepped back (now before the window or the grant) ends both.
  if (now < h.window_start || now >= h.window_start + hold) {
    h.previous_window =
        (now >= h.window_start && now < h.window_start + 2 * hold) ? h.in_window : 0;
    h.window_start = now;
    h.in_window = 0;
  }
  ++h.in_window;
  if (h.tokens > 0 && now >= h.granted && now < h.granted + hold) {
    --h.tokens;
    return true;
  }
  h.tokens = 0;
  // As many as this replica's requests of the key in the last hold; the request at hand first.
  *lease = std::clamp<int64_t>(h.previous_window, 1, std::max(1, options_.max_lease));
  return false;
}

void RedisRateLimiter::Hold(const std::string& key, absl::Time now, int64_t tokens) {
  if (tokens <= 0) return;
  absl::MutexLock lock(&mu_);
  Held& h = held_[key];
  h.tokens += tokens;  // a concurrent lease of the same key adds to it
  h.granted = now;
}

auth::LimitDecision RedisRateLimiter::Take(const std::string& key) {
  const absl::Time now = hold_clock_->Now();
  int64_t lease = 1;
  if (SpendHeld(key, now, &lease)) return auth::LimitDecision{};
  const std::string script_now =
      options_.clock == nullptr ? "" : absl::StrCat(absl::ToUnixMicros(options_.clock->Now()));
  absl::StatusOr<redis::Reply> r =
      GcraScript().Run(*pool_, {absl::StrCat(options_.key_prefix, ":", key)},
                       {interval_us_, burst_, script_now, absl::StrCat(lease)});
  absl::Status error = r.status();
  if (r.ok() && (r->type != redis::Reply::Type::kArray || r->elements.size() != 2 ||
                 r->elements[0].integer < 0 || r->elements[0].integer > lease)) {
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
  const int64_t granted = r->elements[0].integer;
  d.allowed = granted >= 1;
  if (d.allowed) {
    Hold(key, now, granted - 1);
  } else {
    d.retry_after = absl::Microseconds(std::max<int64_t>(1, r->elements[1].integer));
  }
  return d;
}

}  // namespace firegrid::server
