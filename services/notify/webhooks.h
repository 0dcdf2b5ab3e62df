#pragma once

// Webhooks of department systems: every notification that lands in an org unit's inbox is POSTed
// to the webhook that org unit configured, signed, with retries, exactly one delivery per
// notification however many replicas run the dispatcher.
//
// ## What a receiver gets
//
//   POST <url>
//   Content-Type: application/json
//   X-Firegrid-Delivery: dlv_01J...        the delivery id: the same on every retry of one
//                                          notification; receivers deduplicate on it
//   X-Firegrid-Event: KIND_HAZARD_TASK     the notification's kind (firegrid.notify.v1.Kind)
//   X-Firegrid-Signature: sha256=<hex>     lowercase hex HMAC-SHA256(secret, raw body bytes)
//
//   body: the firegrid.notify.v1.Notification in canonical proto3 JSON (lowerCamelCase field
//   names, fields at their default value omitted), e.g. {"notificationId":"ntf_...",
//   "recipient":"org:500109.urban_management","cursor":"1700000000000-0","kind":"KIND_HAZARD_TASK",
//   ...}. The bytes are fixed when the delivery is created, so every retry carries the same body
//   and signature.
//
// To verify: compute HMAC-SHA256 with the webhook's secret as key over the raw request body (as
// received, before any JSON parsing), hex-encode it in lowercase, prepend "sha256=" and compare
// with X-Firegrid-Signature in constant time. E.g. in Python:
//   hmac.compare_digest("sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(), header)
//
// ## Where it may go
// https:// only (http:// with allow_http, for local runs); the host must resolve to global
// addresses only (webhook_destination.h: no loopback, private, link-local, CGNAT, multicast, …),
// checked on every attempt after resolution, and the connection goes to the checked address. A
// URL whose host is a refused IP literal is refused when the webhook is set (INVALID_ARGUMENT);
// a name that resolves to a refused address fails the attempt like an unreachable endpoint, with
// the generic kNoResponseError shown to the registrant and the reason in the log.
//
// Any 2xx answer means delivered (the response body is not read). Anything else — another status
// (redirects are not followed), a connect/read/write timeout, a refused connection, a TLS error —
// is a failed attempt, retried after initial_backoff, doubling up to max_backoff, until
// max_attempts attempts have failed; then the delivery is "failed". Delivery is at least once: a
// replica that dies after the receiver answered but before the result was recorded leaves the
// attempt to be repeated, so receivers must deduplicate on X-Firegrid-Delivery.
//
// ## Redis keys (under the notify prefix)
//   <p>:wh:orgs            set of org units that have a webhook
//   <p>:wh:hook:<org>      hash {data: serialized Webhook incl. secret, cursor: the last inbox
//                          stream id turned into a delivery}
//   <p>:wh:due:<org>       sorted set of pending delivery ids by next attempt (ms since epoch)
//   <p>:wh:log:<org>       list of delivery ids, newest first, trimmed to log_size
//   <p>:wh:d:<id>          hash {d: serialized Delivery, attempts, body, kind}; expires
//                          kDeliveryRetention after it reached "delivered" or "failed"
//   <p>:wh:lease:<org>     the endpoint lease: held by the one replica attempting this org's
//                          deliveries (SET NX PX), so at most one attempt per endpoint is in
//                          flight across all replicas
// Everything lives in Redis, so a restart (of a replica or of Redis with AOF) loses nothing.

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/notify/webhook_destination.h"

namespace firegrid::notify {

namespace v1 = ::firegrid::notify::v1;

// Whether an org unit is registered; webhooks are accepted only for registered org units.
using OrgUnitRegistry = std::function<absl::StatusOr<bool>(const std::string& org_unit)>;
// The org unit registry of the buildings service, read from its keys in the shared Redis:
// `<buildings_prefix>:ou:<code>` (services/buildings/redis_store.h), read only.
OrgUnitRegistry RedisOrgUnitRegistry(redis::Pool* pool, std::string buildings_prefix);

struct WebhookOptions {
  // Attempts per delivery before it is "failed".
  int max_attempts = 8;
  // Wait after the first failed attempt; doubles after each further failure, up to max_backoff.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Connect, write and read timeouts of one attempt (each; whole seconds and microseconds).
  absl::Duration request_timeout = absl::Seconds(3);
  // Attempts run concurrently on this many threads.
  int workers = 4;
  // Deliveries kept in each org unit's log (ListDeliveries).
  int log_size = 200;
  // Whether http:// URLs are accepted (https:// always is): local runs and tests only
  // (`--webhook-allow-http`).
  bool allow_http = false;
  // Where POSTs may go (see webhook_destination.h); loopback only for local runs and tests
  // (`--webhook-allow-loopback`).
  DestinationPolicy destination;
  // Resolves webhook host names; SystemResolver() when unset. Tests inject their own.
  Resolver resolver;
  // The org units a webhook may be set for (the service passes RedisOrgUnitRegistry). Unset:
  // any well-formed org unit code (tests of the other rules).
  OrgUnitRegistry org_units;
};

// What a registrant sees in Delivery.last_error when no HTTP response was received, whatever the
// reason (refused destination, DNS, connect, TLS, timeout): the reason itself goes to the log
// only, so that the delivery log cannot be used to probe the network.
inline constexpr char kNoResponseError[] =
    "no HTTP response from the endpoint (see the service log)";

// Terminal deliveries ("delivered", "failed") are kept this long, then expire (and drop out of
// ListDeliveries even if they are still among the newest log_size).
inline constexpr absl::Duration kDeliveryRetention = absl::Hours(24 * 30);

// ---- Building blocks (public for tests and for documentation) ----

// Lowercase hex HMAC-SHA256(key, data) (OpenSSL).
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);
// The X-Firegrid-Signature value for a body: "sha256=" + HmacSha256Hex(secret, body).
std::string WebhookSignature(absl::string_view secret, absl::string_view body);

// A webhook URL split for the HTTP client.
struct WebhookUrl {
  bool https = false;
  std::string host;  // without brackets for an IPv6 literal
  int port = 0;      // 80 / 443 when the URL has none
  std::string path;  // path and query; "/" when the URL has none
};
// INVALID_ARGUMENT "<field>: ..." unless `url` is http:// (only when allow_http) or https:// with
// a host, an optional port 1..65535, no user info, no fragment, no spaces or control characters,
// and at most 2048 bytes.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                           absl::string_view field = "webhook.url");

// Who may manage an org unit's webhook and read its deliveries: a district admin any org unit
// whose code starts with its tier path (its streets, communities and departments
// "<district>.<slug>"); a department officer "<tier path>.<department>"; a street officer or
// community worker the org unit equal to its tier path. Anyone else: PERMISSION_DENIED.
absl::Status AuthorizeWebhookOrgUnit(const auth::Principal& principal, absl::string_view org_unit);

// The wait after `failed_attempts` (>= 1) failed attempts: initial_backoff * 2^(n-1), at most
// max_backoff.
absl::Duration RetryBackoff(int failed_attempts, const WebhookOptions& options);

// The result of one POST: http_status 0 when no response was received; then `error` is what the
// registrant sees (kNoResponseError) and `detail` says why, for the log.
struct AttemptOutcome {
  int http_status = 0;
  std::string error;
  std::string detail;
};
// Counts an attempt made at `now` into `delivery`: 2xx → "delivered"; otherwise "pending" again
// with next_attempt_at = now + RetryBackoff(attempts), or "failed" once attempts reach
// max_attempts. next_attempt_at is cleared in the terminal states; updated_at = now.
void ApplyAttemptOutcome(const AttemptOutcome& outcome, absl::Time now,
                         const WebhookOptions& options, v1::Delivery* delivery);

// ---- The module ----

// Thread-safe. The RPC methods map one to one to NotifyService's webhook RPCs (the gRPC adapter
// only converts requests); RunOnce is the dispatcher, to be called periodically (e.g. every
// 500 ms) on every replica.
class Webhooks {
 public:
  Webhooks(redis::Pool* pool, std::string prefix, WebhookOptions options, Clock* clock);
  ~Webhooks();  // Stop()
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Creates or replaces the org unit's webhook (org_unit, url, secret, enabled; updated_at is
  // the server's). The org unit must be registered (INVALID_ARGUMENT "webhook.org_unit: ..."
  // otherwise); the URL must meet the destination rules above. The secret (16..1024 bytes) is
  // required on every Set. A new webhook receives the notifications that arrive in the inbox after
  // it was created; replacing one keeps its position. While disabled, nothing is taken from the
  // inbox and nothing is attempted; enabling it again delivers what arrived meanwhile. Returns the
  // webhook without its secret.
  absl::StatusOr<v1::Webhook> Set(const auth::Principal& principal, const v1::Webhook& webhook);
  // The webhook without its secret; NOT_FOUND when the org unit has none.
  absl::StatusOr<v1::Webhook> Get(const auth::Principal& principal, const std::string& org_unit);
  // Removes the webhook with its pending deliveries and its log. NOT_FOUND when there is none.
  absl::StatusOr<v1::DeleteWebhookResponse> Delete(const auth::Principal& principal,
                                                   const std::string& org_unit);
  // The newest deliveries of the org unit, newest first: limit 0 → 50, at most 200 (and at most
  // log_size); negative → INVALID_ARGUMENT.
  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(const auth::Principal& principal,
                                                            const std::string& org_unit, int limit);

  // One dispatch round; safe on every replica at once.
  //  1. Intake: for each enabled webhook, the inbox entries after its cursor become pending
  //     deliveries and the cursor advances, in one atomic write conditional on the cursor, so
  //     each notification becomes exactly one delivery whichever replica wins.
  //  2. Dispatch: for org units with a due delivery, and while a worker is free, take the
  //     org unit's endpoint lease and hand the attempt to the worker pool. A worker whose attempt
  //     succeeded goes on with the org unit's next due delivery (up to 20 in a row, so a burst
  //     drains without waiting for the next round); after a failure it lets go of the endpoint.
  // Returns without waiting for the attempts: the number is how many attempts this call STARTED
  // (not how many succeeded; results are recorded in Redis by the workers, see WaitIdle).
  // FAILED_PRECONDITION after Stop(); UNAVAILABLE when Redis is.
  absl::StatusOr<int> RunOnce();

  // Blocks until no attempt is queued or running (each is bounded by the request timeouts).
  void WaitIdle();
  // Starts no more attempts, waits for those in flight, joins the workers. Idempotent.
  void Stop();

  // One delivery by id, for operators and tests (no authorisation here). NOT_FOUND when unknown
  // or expired.
  absl::StatusOr<v1::Delivery> GetDelivery(const std::string& delivery_id);

 private:
  enum class AttemptEnd { kDelivered, kFailed, kSkipped, kLostEndpoint };
  struct Hook {
    std::string org_unit;
    v1::Webhook webhook;
    std::string cursor;
  };

  std::string Key(absl::string_view kind, absl::string_view id) const;
  absl::StatusOr<std::vector<Hook>> LoadHooks();
  absl::Status Intake(const Hook& hook);
  int Dispatch(const std::vector<Hook>& hooks);
  // The worker task: attempts `delivery_id`, then the org unit's next due deliveries.
  void RunEndpoint(const std::string& org_unit, const std::string& lease_token,
                   std::string delivery_id);
  AttemptEnd AttemptOne(const std::string& org_unit, const std::string& delivery_id);
  // Resolves and checks the destination, then POSTs to the checked address.
  AttemptOutcome Send(const WebhookUrl& url, const std::string& secret,
                      const std::string& delivery_id, const std::string& kind,
                      const std::string& body);
  AttemptOutcome Post(const WebhookUrl& url, const IpAddress& address, const std::string& secret,
                      const std::string& delivery_id, const std::string& kind,
                      const std::string& body);

  bool ReserveWorker();
  void ReleaseWorker();
  void Submit(std::function<void()> task);
  void WorkerLoop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  redis::Pool* const pool_;
  const std::string prefix_;
  const WebhookOptions options_;
  Clock* const clock_;
  RandomIdGenerator ids_;
  const std::string instance_;  // owner prefix of this instance's endpoint leases
  std::atomic<uint64_t> lease_seq_{0};
  std::atomic<uint64_t> rotation_{0};

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;  // reserved workers: queued + running tasks
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace firegrid::notify
