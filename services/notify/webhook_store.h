#pragma once

// Where webhooks and their deliveries live: Redis, under the notify prefix.
//
// ## Redis keys (under the notify prefix)
//   <p>:wh:orgs            set of org units that have a webhook
//   <p>:wh:hook:<org>      hash {data: serialized Webhook incl. secret, cursor: the last inbox
//                          stream id turned into a delivery}
//   <p>:wh:due:<org>       sorted set of pending delivery ids by next attempt (ms since epoch)
//   <p>:wh:log:<org>       list of delivery ids, newest first, trimmed to log_size
//   <p>:wh:d:<id>          hash {d: serialized Delivery, attempts, body, kind, traceparent};
//                          expires
//                          kDeliveryRetention after it reached "delivered" or "failed"
//   <p>:wh:lease:<org>     the endpoint lease: held by the one replica attempting this org's
//                          deliveries (SET NX PX), so at most one attempt per endpoint is in
//                          flight across all replicas
//
// Everything lives in Redis, so a restart (of a replica or of Redis with AOF) loses nothing.
// Every write that must not race another replica is one atomic write (redis::AtomicWrite) or
// one script: intake is conditional on the cursor, recording an attempt on the attempt count,
// the endpoint lease is taken and handed on by scripts.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"
#include "services/notify/webhook_config.h"

namespace firegrid::notify {

// Terminal deliveries ("delivered", "failed") are kept this long, then expire (and drop out of
// ListDeliveries even if they are still among the newest log_size).
inline constexpr absl::Duration kDeliveryRetention = absl::Hours(24 * 30);

// The org unit registry of the buildings service, read from its keys in the shared Redis:
// `<buildings_prefix>:ou:<code>` (services/buildings/redis_store.h), read only.
OrgUnitRegistry RedisOrgUnitRegistry(redis::Pool* pool, std::string buildings_prefix);

// Thread-safe (the pool is).
class WebhookStore {
 public:
  WebhookStore(redis::Pool* pool, std::string prefix, Clock* clock);

  // An enabled webhook with its intake cursor.
  struct Hook {
    std::string org_unit;
    v1::Webhook webhook;
    std::string cursor;
  };

  // Stores the webhook (with its secret); a new one starts at the inbox's current end, a
  // replaced one keeps its cursor.
  absl::Status Put(const v1::Webhook& webhook);
  // The webhook with its secret; NOT_FOUND when the org unit has none.
  absl::StatusOr<v1::Webhook> Get(const std::string& org_unit);
  // Removes the webhook with its pending deliveries and its log. NOT_FOUND when there is none.
  absl::Status Delete(const std::string& org_unit);
  // The newest `limit` deliveries of the org unit, newest first (expired ones left out).
  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(const std::string& org_unit, int limit);
  // NOT_FOUND when unknown or expired.
  absl::StatusOr<v1::Delivery> GetDelivery(const std::string& delivery_id);

  // ---- For the dispatcher ----

  // The enabled webhooks, by org unit.
  absl::StatusOr<std::vector<Hook>> LoadEnabledHooks();
  // Per hook: whether its inbox may have entries after its cursor (true when unsure).
  absl::StatusOr<std::vector<bool>> HaveNewEntries(const std::vector<Hook>& hooks);
  // Turns the inbox entries after the hook's cursor into pending deliveries, moving the cursor,
  // exactly once across replicas (a replica that lost the race stops quietly). The org unit's
  // log is trimmed to `log_size`.
  absl::Status Intake(const Hook& hook, int log_size);
  // Per hook: whether a delivery is due at `now`.
  absl::StatusOr<std::vector<bool>> HaveDue(const std::vector<Hook>& hooks, absl::Time now);
  // Takes the org unit's endpoint lease (`token`, for `lease`) when it is free and a delivery
  // is due; that delivery's id, or nullopt.
  absl::StatusOr<std::optional<std::string>> Claim(const std::string& org_unit, absl::Time now,
                                                   const std::string& token, absl::Duration lease);
  // For the holder of the lease: the next due delivery (extending the lease), or nullopt
  // (releasing it; also when the lease is no longer the caller's).
  absl::StatusOr<std::optional<std::string>> Next(const std::string& org_unit, absl::Time now,
                                                  const std::string& token, absl::Duration lease);
  // Gives the lease back if it is still the caller's.
  absl::Status Release(const std::string& org_unit, const std::string& token);

  // What an attempt needs.
  struct Attempt {
    enum class State {
      kReady,       // attempt it
      kNoEndpoint,  // the webhook was deleted or disabled meanwhile
      kNotPending,  // the delivery is gone or finished (dropped from the due set)
    };
    State state = State::kReady;
    v1::Webhook webhook;
    v1::Delivery delivery;
    std::string attempts;  // the stored count, the precondition of RecordAttempt
    std::string body;
    std::string kind;
    std::string traceparent;  // "" when the notification had no trace
  };
  absl::StatusOr<Attempt> LoadAttempt(const std::string& org_unit, const std::string& delivery_id);
  // Records `delivery` after an attempt, if no one recorded one since `attempts` was read
  // (ABORTED otherwise): pending → due again at next_attempt_at; terminal → out of the due set
  // and expiring after kDeliveryRetention.
  absl::Status RecordAttempt(const std::string& org_unit, const std::string& attempts,
                             const v1::Delivery& delivery);

 private:
  std::string Key(absl::string_view kind, absl::string_view id) const;

  redis::Pool* const pool_;
  const std::string prefix_;
  Clock* const clock_;
};

}  // namespace firegrid::notify
