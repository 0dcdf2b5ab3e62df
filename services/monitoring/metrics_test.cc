// The monitoring metrics as scraped.
#include "services/monitoring/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MonitoringMetricsTest, SignalsDropsAndTransitionsAreCountedByTheirLabels) {
  server::MetricsRegistry registry;
  MonitoringMetrics m(&registry);
  m.Signal("accepted");
  m.Signal("accepted");
  m.Signal("unknown_device");
  m.Dropped("malformed_payload");
  AlarmAction raise;
  raise.kind = AlarmAction::Kind::kRaise;
  raise.type = v1::ALARM_TYPE_LOW_PRESSURE;
  m.Action(raise);
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_signals_total{outcome=\"accepted\"} 2"));
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_signals_total{outcome=\"unknown_device\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("firegrid_monitoring_mqtt_dropped_total{reason=\"malformed_payload\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_alarm_transitions_total{action=\"raise\",type="
                              "\"ALARM_TYPE_LOW_PRESSURE\"} 1"));
}

TEST(MonitoringMetricsTest, PushesCountOutcomesAndTimeOnlyTheSuccessfulOnes) {
  server::MetricsRegistry registry;
  MonitoringMetrics m(&registry);
  m.Push(true, absl::Milliseconds(40));
  m.Push(false, absl::Seconds(3));
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_fire_push_total{outcome=\"ok\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_fire_push_total{outcome=\"failed\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_fire_push_seconds_count 1"));
}

TEST(MonitoringMetricsTest, TheConnectionAndQueueGaugesFollowTheSubscriberUntilClosed) {
  server::MetricsRegistry registry;
  bool connected = false;
  int64_t queued = 7;
  {
    MonitoringMetrics m(&registry);
    ASSERT_TRUE(m.WatchMqtt([&] { return connected; }, [&] { return queued; }).ok());
    EXPECT_THAT(registry.Render(), HasSubstr("firegrid_monitoring_mqtt_connected 0"));
    EXPECT_THAT(registry.Render(), HasSubstr("firegrid_monitoring_mqtt_queued_messages 7"));
    connected = true;
    queued = 0;
    EXPECT_THAT(registry.Render(), HasSubstr("firegrid_monitoring_mqtt_connected 1"));
    EXPECT_THAT(registry.Render(), HasSubstr("firegrid_monitoring_mqtt_queued_messages 0"));
  }
  EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_monitoring_mqtt_connected")));
  EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_monitoring_mqtt_queued_messages")));
}

TEST(MonitoringMetricsTest, TheOpenAlarmGaugeShowsTheCountersByTypeAndStateUntilClosed) {
  server::MetricsRegistry registry;
  absl::StatusOr<v1::AlarmCounts> counts = absl::UnavailableError("redis down");
  {
    MonitoringMetrics m(&registry);
    ASSERT_TRUE(m.WatchAlarms([&] { return counts; }).ok());
    EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_monitoring_alarms_open{")));
    v1::AlarmCounts c;
    v1::AlarmCount* n = c.add_counts();
    n->set_type(v1::ALARM_TYPE_FIRE);
    n->set_state(v1::ALARM_STATE_ACTIVE_UNACK);
    n->set_count(3);
    counts = c;
    EXPECT_THAT(registry.Render(),
                HasSubstr("firegrid_monitoring_alarms_open{state=\"ALARM_STATE_ACTIVE_UNACK\","
                          "type=\"ALARM_TYPE_FIRE\"} 3"));
  }
  EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_monitoring_alarms_open")));
}

TEST(MonitoringMetricsTest, TheSignalAgeIsObservedPerSource) {
  server::MetricsRegistry registry;
  MonitoringMetrics m(&registry);
  m.Age("mqtt", absl::Milliseconds(300));
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("firegrid_monitoring_signal_age_seconds_count{source=\"mqtt\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("firegrid_monitoring_signal_age_seconds_bucket{source=\"mqtt\",le=\"0.5\"} 1"));
}

}  // namespace
}  // namespace firegrid::monitoring
