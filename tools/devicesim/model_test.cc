#include "tools/devicesim/model.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::devicesim {
namespace {

namespace sv1 = ::firegrid::monitoring::v1;

const absl::Time kStart = absl::FromUnixSeconds(1796540000);

SimOptions Quiet() {  // no random events: only what a test triggers
  SimOptions o;
  o.fault_every = absl::ZeroDuration();
  o.fire_alarm_every = absl::ZeroDuration();
  o.reboot_every = absl::ZeroDuration();
  return o;
}

SimDevice Device(const std::string& id, mv1::DeviceType type, absl::Duration period) {
  SimDevice d;
  d.device_id = id;
  d.type = type;
  d.heartbeat_period = period;
  return d;
}

double Value(const sv1::Signal& s, sv1::Quantity q) {
  for (const sv1::AnalogValue& a : s.analog()) {
    if (a.quantity() == q) return a.value();
  }
  ADD_FAILURE() << "no quantity " << q << " in " << s.ShortDebugString();
  return -1;
}

TEST(SimFleetTest, FirstTickReportsEveryDeviceThenOnlyOnItsHeartbeat) {
  SimFleet fleet({Device("p-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, absl::Seconds(60)),
                  Device("s-1", mv1::DEVICE_TYPE_SMOKE_DETECTOR, absl::Seconds(30))},
                 Quiet(), kStart);
  EXPECT_EQ(fleet.Tick(kStart).size(), 2u);
  EXPECT_TRUE(fleet.Tick(kStart + absl::Seconds(10)).empty());
  std::vector<sv1::Signal> at30 = fleet.Tick(kStart + absl::Seconds(30));
  ASSERT_EQ(at30.size(), 1u);
  EXPECT_EQ(at30[0].device_id(), "s-1");
  EXPECT_EQ(fleet.Tick(kStart + absl::Seconds(60)).size(), 2u);
}

TEST(SimFleetTest, SequencesIncreaseWithinTheBootEpochWhichIsTheStartTimeInMilliseconds) {
  SimFleet fleet({Device("p-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, absl::Seconds(30))}, Quiet(),
                 kStart);
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    std::vector<sv1::Signal> due = fleet.Tick(kStart + absl::Seconds(30 * i));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].boot_epoch(), static_cast<uint64_t>(absl::ToUnixMillis(kStart)));
    EXPECT_EQ(due[0].sequence(), last + 1);
    last = due[0].sequence();
    EXPECT_EQ(due[0].device_time().seconds(), absl::ToUnixSeconds(kStart) + 30 * i);
  }
}

TEST(SimFleetTest, RebootStartsANewHigherEpochWithSequenceOne) {
  SimFleet fleet({Device("p-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, absl::Seconds(30))}, Quiet(),
                 kStart);
  const sv1::Signal first = fleet.Tick(kStart)[0];
  fleet.Tick(kStart + absl::Seconds(30));
  ASSERT_TRUE(fleet.Apply("p-1", Trigger::kReboot, kStart + absl::Seconds(31)).ok());
  std::vector<sv1::Signal> due = fleet.Tick(kStart + absl::Seconds(31));
  ASSERT_EQ(due.size(), 1u);  // reported at once, not at the next heartbeat
  EXPECT_GT(due[0].boot_epoch(), first.boot_epoch());
  EXPECT_EQ(due[0].sequence(), 1u);
}

TEST(SimFleetTest, LowPressureDropsBelowTheRuleLimitAndStaysUntilRestored) {
  SimFleet fleet({Device("p-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, absl::Seconds(30))}, Quiet(),
                 kStart);
  EXPECT_GT(Value(fleet.Tick(kStart)[0], sv1::QUANTITY_PRESSURE_MPA), 0.2);
  ASSERT_TRUE(fleet.Apply("p-1", Trigger::kLowPressure, kStart).ok());
  double value = 0;
  for (int i = 1; i <= 40; ++i) {  // 20 minutes of heartbeats: longer than the rule's 10
    for (const sv1::Signal& s : fleet.Tick(kStart + absl::Seconds(30 * i))) {
      value = Value(s, sv1::QUANTITY_PRESSURE_MPA);
      if (i >= 10) EXPECT_LT(value, 0.10 - 0.02) << "at heartbeat " << i;  // limit - hysteresis
    }
  }
  ASSERT_TRUE(fleet.Apply("p-1", Trigger::kRestore, kStart + absl::Minutes(21)).ok());
  for (int i = 0; i < 20; ++i) {
    for (const sv1::Signal& s : fleet.Tick(kStart + absl::Minutes(21) + absl::Seconds(30 * i))) {
      value = Value(s, sv1::QUANTITY_PRESSURE_MPA);
    }
  }
  EXPECT_GT(value, 0.2);
}

TEST(SimFleetTest, FireAlarmIsReportedAtOnceWithThePanelPointAndResetLater) {
  SimOptions o = Quiet();
  o.fire_alarm_duration = absl::Minutes(1);
  SimFleet fleet({Device("fap-1", mv1::DEVICE_TYPE_FIRE_ALARM_PANEL, absl::Seconds(30))}, o,
                 kStart);
  fleet.Tick(kStart);
  ASSERT_TRUE(fleet.Apply("fap-1", Trigger::kFireAlarm, kStart + absl::Seconds(5)).ok());
  std::vector<sv1::Signal> due = fleet.Tick(kStart + absl::Seconds(5));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].state().fire_alarm());
  EXPECT_THAT(due[0].point(), ::testing::MatchesRegex("1-[0-9]{3}"));
  due = fleet.Tick(kStart + absl::Seconds(66));  // reset at the device: reported at once
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(due[0].state().fire_alarm());
  EXPECT_EQ(due[0].point(), "");
}

TEST(SimFleetTest, RefusesTriggersADeviceCannotShowAndUnknownDevices) {
  SimFleet fleet({Device("p-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, absl::Seconds(30)),
                  Device("s-1", mv1::DEVICE_TYPE_SMOKE_DETECTOR, absl::Seconds(30))},
                 Quiet(), kStart);
  EXPECT_EQ(fleet.Apply("p-1", Trigger::kFireAlarm, kStart).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fleet.Apply("s-1", Trigger::kLowPressure, kStart).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fleet.Apply("nope", Trigger::kFault, kStart).code(), absl::StatusCode::kNotFound);
}

TEST(SimFleetTest, AnalogMonitorsShowAFaultAsAValueBeyondTheLimit) {
  SimFleet fleet({Device("e-1", mv1::DEVICE_TYPE_ELECTRICAL_FIRE_MONITOR, absl::Seconds(30))},
                 Quiet(), kStart);
  fleet.Tick(kStart);
  ASSERT_TRUE(fleet.Apply("e-1", Trigger::kFault, kStart).ok());
  double current = 0;
  for (int i = 1; i <= 5; ++i) {
    for (const sv1::Signal& s : fleet.Tick(kStart + absl::Seconds(30 * i))) {
      current = Value(s, sv1::QUANTITY_RESIDUAL_CURRENT_MA);
      EXPECT_FALSE(s.state().fault());
    }
  }
  EXPECT_GT(current, 300);  // config/monitoring_rules.textproto residual-current-high
}

TEST(SimFleetTest, RandomEventsHappenAtAboutTheConfiguredRate) {
  std::vector<SimDevice> devices;
  for (int i = 0; i < 20; ++i) {
    devices.push_back(
        Device("s-" + std::to_string(i), mv1::DEVICE_TYPE_SMOKE_DETECTOR, absl::Hours(1)));
  }
  SimOptions o = Quiet();
  o.fire_alarm_every = absl::Minutes(10);
  o.fire_alarm_duration = absl::Seconds(1);
  o.seed = 7;
  SimFleet fleet(devices, o, kStart);
  fleet.Tick(kStart);
  int alarms = 0;
  for (int s = 1; s <= 10 * 3600; ++s) {  // ten hours in one-second ticks: about 60 alarms
    for (const sv1::Signal& sig : fleet.Tick(kStart + absl::Seconds(s))) {
      if (sig.state().fire_alarm()) ++alarms;
    }
  }
  EXPECT_GT(alarms, 35);
  EXPECT_LT(alarms, 90);
}

}  // namespace
}  // namespace firegrid::devicesim
