#include "services/notify/metrics.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "services/notify/webhook_delivery.h"

namespace firegrid::notify {

constexpr char kSubscribers[] = "firegrid_notify_subscribers";

NotifyMetrics::NotifyMetrics(server::MetricsRegistry* registry)
    : registry_(registry),
      pushed_(registry->AddCounter("firegrid_notifications_pushed_total",
                                   "Notifications put into inboxes, one per recipient, by kind.")),
      webhook_(registry->AddCounter("firegrid_webhook_deliveries_total",
                                    "Webhook delivery attempts by result: ok, failed (retried), "
                                    "gave_up (the last attempt failed).")),
      timers_(registry->AddCounter("firegrid_timers_fired_total",
                                   "Deadline timers fired, by kind: ack_timeout, plan_deadline.")) {
  // Every label value present from the start, so that rates and alerts see zeros.
  for (int k = v1::Kind_MIN; k <= v1::Kind_MAX; ++k) {
    if (v1::Kind_IsValid(k) && k != v1::KIND_UNSPECIFIED) {
      pushed_.Get({{"kind", KindLabel(static_cast<v1::Kind>(k))}});
    }
  }
  for (const char* result : {"ok", "failed", "gave_up"}) webhook_.Get({{"result", result}});
  for (const char* kind : {kTimerAckTimeout, kTimerPlanDeadline}) timers_.Get({{"kind", kind}});
}

std::string NotifyMetrics::KindLabel(v1::Kind kind) {
  std::string name = v1::Kind_Name(kind);
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, "KIND_");
  return absl::AsciiStrToLower(rest);
}

void NotifyMetrics::Pushed(const v1::Notification& notification, int recipients) {
  if (recipients <= 0) return;
  pushed_.Get({{"kind", KindLabel(notification.kind())}}).Increment(recipients);
}

void NotifyMetrics::WebhookAttempt(const v1::Delivery& delivery) {
  const std::string& state = delivery.state();
  const char* result = state == kDeliveryDelivered ? "ok"
                       : state == kDeliveryFailed  ? "gave_up"
                                                   : "failed";
  webhook_.Get({{"result", result}}).Increment();
}

void NotifyMetrics::TimersFired(absl::string_view kind, int n) {
  if (n <= 0) return;
  timers_.Get({{"kind", std::string(kind)}}).Increment(n);
}

absl::Status NotifyMetrics::WatchSubscribers(std::function<int()> open_streams) {
  absl::Status st = registry_->AddGaugeCallback(
      kSubscribers, "Open Subscribe streams on this replica.",
      [open_streams = std::move(open_streams)]() -> std::vector<std::pair<server::Labels, double>> {
        return {{{}, static_cast<double>(open_streams())}};
      });
  if (st.ok()) watching_ = true;
  return st;
}

void NotifyMetrics::Close() {
  if (!watching_) return;
  registry_->RemoveGaugeCallback(kSubscribers);
  watching_ = false;
}

}  // namespace firegrid::notify
