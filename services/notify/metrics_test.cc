// The notify domain metrics: names, labels and what moves them, read from the rendered registry.
#include "services/notify/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(NotifyMetricsTest, CountersAndTheSubscriberGaugeHaveTheDocumentedNamesAndLabels) {
  server::MetricsRegistry registry;
  int open = 3;
  {
    NotifyMetrics m(&registry);
    // Every label value is there from the start, at zero.
    std::string text = registry.Render();
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"hazard_task\"} 0"));
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"credit\"} 0"));
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"fire_alarm\"} 0"));
    EXPECT_THAT(text, HasSubstr("firegrid_webhook_deliveries_total{result=\"gave_up\"} 0"));
    EXPECT_THAT(text, HasSubstr("firegrid_timers_fired_total{kind=\"ack_timeout\"} 0"));

    v1::Notification task;
    task.set_kind(v1::KIND_HAZARD_TASK);
    m.Pushed(task, 3);
    v1::Notification info;
    info.set_kind(v1::KIND_INFORMATION);
    m.Pushed(info, 2);
    v1::Notification fire;
    fire.set_kind(v1::KIND_FIRE_ALARM);
    fire.set_priority(v1::PRIORITY_URGENT);
    m.Pushed(fire, 4);
    v1::Delivery d;
    for (const char* state : {"delivered", "pending", "pending", "failed"}) {
      d.set_state(state);
      m.WebhookAttempt(d);
    }
    m.TimersFired(kTimerAckTimeout, 2);
    m.TimersFired(kTimerPlanDeadline, 1);
    ASSERT_TRUE(m.WatchSubscribers([&] { return open; }).ok());

    text = registry.Render();
    EXPECT_THAT(text, HasSubstr("# TYPE firegrid_notifications_pushed_total counter"));
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"hazard_task\"} 3"));
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"information\"} 2"));
    EXPECT_THAT(text, HasSubstr("firegrid_notifications_pushed_total{kind=\"fire_alarm\"} 4"));
    EXPECT_THAT(text, HasSubstr("firegrid_webhook_deliveries_total{result=\"ok\"} 1"));
    EXPECT_THAT(text, HasSubstr("firegrid_webhook_deliveries_total{result=\"failed\"} 2"));
    EXPECT_THAT(text, HasSubstr("firegrid_webhook_deliveries_total{result=\"gave_up\"} 1"));
    EXPECT_THAT(text, HasSubstr("firegrid_timers_fired_total{kind=\"ack_timeout\"} 2"));
    EXPECT_THAT(text, HasSubstr("firegrid_timers_fired_total{kind=\"plan_deadline\"} 1"));
    EXPECT_THAT(text, HasSubstr("# TYPE firegrid_notify_subscribers gauge"));
    EXPECT_THAT(text, HasSubstr("firegrid_notify_subscribers 3"));
    open = 1;
    EXPECT_THAT(registry.Render(), HasSubstr("firegrid_notify_subscribers 1"));
  }
  // Gone with the metrics object: the registry no longer reads the count.
  EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_notify_subscribers")));
}

}  // namespace
}  // namespace firegrid::notify
