#include "services/notify/webhooks.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using google::protobuf::util::TimeUtil;

constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 200;
// Attempts one worker makes in a row for one endpoint after a success.
constexpr int kMaxChain = 20;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

}  // namespace

// ---- RPCs ----

Webhooks::Webhooks(redis::Pool* pool, std::string prefix, WebhookOptions options, Clock* clock)
    : options_(std::move(options)),
      store_(pool, std::move(prefix), clock),
      clock_(clock),
      instance_(ids_.NewId("whk")) {
  const int n = std::max(1, options_.workers);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

Webhooks::~Webhooks() { Stop(); }

absl::StatusOr<v1::Webhook> Webhooks::Set(const Principal& principal, const v1::Webhook& webhook) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(webhook.org_unit(), "webhook.org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, webhook.org_unit()));
  FG_RETURN_IF_ERROR(ValidateWebhook(webhook, options_));
  const std::string& org = webhook.org_unit();
  if (options_.org_units) {
    FG_ASSIGN_OR_RETURN(bool registered, options_.org_units(org));
    if (!registered) return InvalidField("webhook.org_unit", "is not a registered org unit");
  }
  v1::Webhook stored = webhook;
  *stored.mutable_updated_at() = ToProto(clock_->Now());
  FG_RETURN_IF_ERROR(store_.Put(stored));
  log::Info("webhook set",
            {{"org_unit", org}, {"enabled", stored.enabled()}, {"by", principal.subject}});
  stored.clear_secret();
  return stored;
}

absl::StatusOr<v1::Webhook> Webhooks::Get(const Principal& principal, const std::string& org_unit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
  FG_ASSIGN_OR_RETURN(v1::Webhook webhook, store_.Get(org_unit));
  webhook.clear_secret();
  return webhook;
}

absl::StatusOr<v1::DeleteWebhookResponse> Webhooks::Delete(const Principal& principal,
                                                           const std::string& org_unit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
  FG_RETURN_IF_ERROR(store_.Delete(org_unit));
  log::Info("webhook deleted", {{"org_unit", org_unit}, {"by", principal.subject}});
  return v1::DeleteWebhookResponse();
}

absl::StatusOr<v1::ListDeliveriesResponse> Webhooks::ListDeliveries(const Principal& principal,
                                                                    const std::string& org_unit,
                                                                    int limit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
  if (limit < 0) return InvalidField("limit", "must not be negative");
  if (limit == 0) limit = kDefaultListLimit;
  limit = std::min({limit, kMaxListLimit, std::max(1, options_.log_size)});
  return store_.ListDeliveries(org_unit, limit);
}

absl::StatusOr<v1::Delivery> Webhooks::GetDelivery(const std::string& delivery_id) {
  return store_.GetDelivery(delivery_id);
}

// ---- Dispatcher ----

absl::StatusOr<int> Webhooks::RunOnce() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::FailedPreconditionError("webhooks stopped");
  }
  FG_ASSIGN_OR_RETURN(std::vector<Hook> hooks, store_.LoadEnabledHooks());
  FG_ASSIGN_OR_RETURN(std::vector<bool> fresh, store_.HaveNewEntries(hooks));
  for (size_t i = 0; i < hooks.size(); ++i) {
    const Hook& hook = hooks[i];
    if (!fresh[i]) continue;
    absl::Status st = store_.Intake(hook, options_.log_size);
    if (!st.ok()) {
      log::Warn("webhook intake failed",
                {{"org_unit", hook.org_unit}, {"error", std::string(st.message())}});
      if (st.code() == absl::StatusCode::kUnavailable) return st;
    }
  }
  return Dispatch(hooks);
}

int Webhooks::Dispatch(const std::vector<Hook>& hooks) {
  if (hooks.empty()) return 0;
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::vector<bool>> due = store_.HaveDue(hooks, now);
  if (!due.ok()) {
    log::Warn("webhook dispatch failed", {{"error", std::string(due.status().message())}});
    return 0;
  }
  std::vector<const Hook*> candidates;
  for (size_t i = 0; i < hooks.size(); ++i) {
    if ((*due)[i]) candidates.push_back(&hooks[i]);
  }
  if (candidates.empty()) return 0;
  // Rotate the starting point so that, with more endpoints due than workers, each gets a turn.
  const size_t start = rotation_.fetch_add(1) % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + start, candidates.end());

  const absl::Duration lease = 4 * options_.request_timeout + absl::Seconds(5);
  int started = 0;
  for (const Hook* hook : candidates) {
    if (!ReserveWorker()) break;
    std::string token = absl::StrCat(instance_, "/", lease_seq_.fetch_add(1));
    absl::StatusOr<std::optional<std::string>> claimed =
        store_.Claim(hook->org_unit, now, token, lease);
    if (!claimed.ok() || !claimed->has_value()) {
      if (!claimed.ok()) {
        log::Warn("webhook claim failed", {{"org_unit", hook->org_unit},
                                           {"error", std::string(claimed.status().message())}});
      }
      ReleaseWorker();
      continue;
    }
    Submit([this, org = hook->org_unit, token, id = **claimed]() mutable {
      RunEndpoint(org, token, std::move(id));
    });
    ++started;
  }
  return started;
}

void Webhooks::RunEndpoint(const std::string& org_unit, const std::string& lease_token,
                           std::string delivery_id) {
  const absl::Duration lease = 4 * options_.request_timeout + absl::Seconds(5);
  for (int n = 0;; ++n) {
    const AttemptEnd end = AttemptOne(org_unit, delivery_id);
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
    }
    if (end == AttemptEnd::kFailed || end == AttemptEnd::kLostEndpoint || stopping ||
        n + 1 >= kMaxChain) {
      break;
    }
    absl::StatusOr<std::optional<std::string>> next =
        store_.Next(org_unit, clock_->Now(), lease_token, lease);
    if (!next.ok()) break;
    // Nothing more due (the store released the lease), or the lease is no longer ours.
    if (!next->has_value()) return;
    delivery_id = **next;
  }
  absl::Status released = store_.Release(org_unit, lease_token);
  if (!released.ok()) {
    // The lease then expires by itself.
    log::Warn("webhook lease release failed",
              {{"org_unit", org_unit}, {"error", std::string(released.message())}});
  }
}

Webhooks::AttemptEnd Webhooks::AttemptOne(const std::string& org_unit,
                                          const std::string& delivery_id) {
  absl::StatusOr<WebhookStore::Attempt> loaded = store_.LoadAttempt(org_unit, delivery_id);
  if (!loaded.ok()) {
    log::Warn("webhook attempt: redis read failed", {{"org_unit", org_unit}});
    return AttemptEnd::kLostEndpoint;
  }
  WebhookStore::Attempt& a = *loaded;
  if (a.state == WebhookStore::Attempt::State::kNoEndpoint) return AttemptEnd::kLostEndpoint;
  if (a.state == WebhookStore::Attempt::State::kNotPending) return AttemptEnd::kSkipped;
  v1::Delivery& delivery = a.delivery;
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(a.webhook.url(), options_.allow_http);
  AttemptOutcome outcome;
  if (url.ok()) {
    outcome =
        SendWebhook(*url, a.webhook.secret(), delivery_id, a.kind, a.body, a.traceparent, options_);
  } else {
    // E.g. http:// stored while allowed, then allow_http turned off.
    outcome.error = kNoResponseError;
    outcome.detail = std::string(url.status().message());
  }
  ApplyAttemptOutcome(outcome, clock_->Now(), options_, &delivery);
  absl::Status st = store_.RecordAttempt(org_unit, a.attempts, delivery);
  log::Fields fields = {{"org_unit", org_unit},
                        {"delivery_id", delivery_id},
                        {"notification_id", delivery.notification_id()},
                        {"attempts", delivery.attempts()},
                        {"state", delivery.state()},
                        {"http_status", delivery.last_http_status()}};
  if (!delivery.last_error().empty()) fields["error"] = delivery.last_error();
  if (!outcome.detail.empty()) fields["detail"] = outcome.detail;
  if (st.ok() && options_.on_attempt) options_.on_attempt(delivery);
  if (!st.ok()) {
    // ABORTED: another replica recorded this attempt (our lease had expired); or deleted.
    fields["record_error"] = std::string(st.message());
    log::Warn("webhook attempt not recorded", fields);
    return AttemptEnd::kLostEndpoint;
  }
  if (delivery.state() == kDeliveryDelivered) {
    log::Info("webhook delivered", fields);
    return AttemptEnd::kDelivered;
  }
  if (delivery.state() == kDeliveryFailed) {
    log::Warn("webhook delivery failed for good", fields);
  } else {
    log::Info("webhook attempt failed; will retry", fields);
  }
  return AttemptEnd::kFailed;
}

// ---- Worker pool ----

bool Webhooks::ReserveWorker() {
  absl::MutexLock lock(&mu_);
  if (stopping_ || busy_ >= static_cast<int>(threads_.size())) return false;
  ++busy_;
  return true;
}

void Webhooks::ReleaseWorker() {
  absl::MutexLock lock(&mu_);
  --busy_;
}

void Webhooks::Submit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void Webhooks::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Webhooks::HasWorkOrStopping));
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    ReleaseWorker();
  }
}

// A worker exits only when stopping and nothing is queued or reserved: a RunOnce that reserved a
// worker before Stop() still gets its claimed attempt run.
bool Webhooks::HasWorkOrStopping() const { return !queue_.empty() || (stopping_ && busy_ == 0); }
bool Webhooks::Idle() const { return busy_ == 0; }

void Webhooks::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &Webhooks::Idle));
}

void Webhooks::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (joined_) return;
    stopping_ = true;
    joined_ = true;
  }
  // Workers drain the queue (tasks already claimed) and exit.
  for (std::thread& t : threads_) t.join();
}

}  // namespace firegrid::notify
