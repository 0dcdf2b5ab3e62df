#pragma once

// The notify service's domain metrics, registered on the runtime's MetricsRegistry:
//   firegrid_notifications_pushed_total{kind}    notifications put into inboxes, one per
//                                                recipient (kind: hazard_task, hazard_update,
//                                                reminder, escalation, plan_reminder, information)
//   firegrid_notify_subscribers                  open Subscribe streams on this replica (gauge)
//   firegrid_webhook_deliveries_total{result}    webhook attempts by result: ok (2xx), failed
//                                                (will be retried), gave_up (the last attempt
//                                                failed: the delivery is "failed")
//   firegrid_timers_fired_total{kind}            deadline timers that fired: ack_timeout (an
//                                                unacknowledged task re-notified one tier up),
//                                                plan_deadline (a plan task reminder)

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/server/metrics.h"

namespace firegrid::notify {


inline constexpr char kTimerAckTimeout[] = "ack_timeout";
inline constexpr char kTimerPlanDeadline[] = "plan_deadline";

// Thread-safe. Outlives none of the registry's scrapes: call Close() before the source of the
// subscriber count goes away.
class NotifyMetrics {
 public:
  explicit NotifyMetrics(server::MetricsRegistry* registry);
  ~NotifyMetrics() { Close(); }
  NotifyMetrics(const NotifyMetrics&) = delete;
  NotifyMetrics& operator=(const NotifyMetrics&) = delete;

  // `recipients` copies of `notification` were put into inboxes.
  void Pushed(const v1::Notification& notification, int recipients);
  // An attempt was recorded; `delivery` as it is after it.
  void WebhookAttempt(const v1::Delivery& delivery);
  void TimersFired(absl::string_view kind, int n);
  // The subscriber gauge reads `open_streams` at every scrape.
  absl::Status WatchSubscribers(std::function<int()> open_streams);
  // Stops reading the subscriber count. Idempotent.
  void Close();

  // The label value of a kind: "hazard_task" for KIND_HAZARD_TASK.
  static std::string KindLabel(v1::Kind kind);

 private:
  server::MetricsRegistry* const registry_;
  server::Family<server::Counter>& pushed_;
  server::Family<server::Counter>& webhook_;
  server::Family<server::Counter>& timers_;
  bool watching_ = false;
};

}  // namespace firegrid::notify
