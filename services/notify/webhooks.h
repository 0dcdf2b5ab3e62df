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
//   traceparent: 00-<trace id>-<span>-01   W3C trace context: the trace of the request behind
//                                          the notification (its traceId), a span of this
//                                          delivery; absent when the notification has no trace
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
// ## The parts, by job
//   webhook_config.h       options, the checks of a webhook to be set, who may manage it
//   webhook_destination.h  where a POST may go (SSRF): address classes, resolution, pinning
//   webhook_signing.h      X-Firegrid-Signature
//   webhook_delivery.h     one attempt (the POST) and the retry schedule
//   webhook_store.h        the Redis keys: webhooks, cursors, deliveries, due sets, leases
//   webhooks.h (this)      the RPCs and the dispatcher with its worker pool

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/notify/webhook_config.h"
#include "services/notify/webhook_delivery.h"
#include "services/notify/webhook_destination.h"
#include "services/notify/webhook_signing.h"
#include "services/notify/webhook_store.h"

namespace firegrid::notify {

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

  using Hook = WebhookStore::Hook;

  int Dispatch(const std::vector<Hook>& hooks);
  // The worker task: attempts `delivery_id`, then the org unit's next due deliveries.
  void RunEndpoint(const std::string& org_unit, const std::string& lease_token,
                   std::string delivery_id);
  AttemptEnd AttemptOne(const std::string& org_unit, const std::string& delivery_id);

  bool ReserveWorker();
  void ReleaseWorker();
  void Submit(std::function<void()> task);
  void WorkerLoop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WebhookOptions options_;
  WebhookStore store_;
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
