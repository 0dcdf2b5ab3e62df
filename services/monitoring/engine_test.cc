#include "services/monitoring/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"

namespace firegrid::monitoring {
namespace {

using ::testing::HasSubstr;
using Kind = AlarmAction::Kind;
using Verdict = Evaluation::Verdict;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

void SetTs(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

v1::Device MakeDevice(v1::DeviceType type, v1::DeviceStatus status = v1::DEVICE_STATUS_IN_SERVICE) {
  v1::Device d;
  d.set_device_id("dev-1");
  d.set_type(type);
  d.set_status(status);
  d.set_building_id("bld_1");
  d.mutable_heartbeat_period()->set_seconds(300);
  return d;
}

v1::Signal Sig(uint64_t epoch, uint64_t seq, absl::Time at) {
  v1::Signal s;
  s.set_device_id("dev-1");
  s.set_boot_epoch(epoch);
  s.set_sequence(seq);
  SetTs(at, s.mutable_device_time());
  return s;
}

v1::Signal Pressure(uint64_t seq, absl::Time at, double mpa) {
  v1::Signal s = Sig(1, seq, at);
  v1::AnalogValue* a = s.add_analog();
  a->set_quantity(v1::QUANTITY_PRESSURE_MPA);
  a->set_value(mpa);
  return s;
}

v1::Signal Fire(uint64_t seq, absl::Time at, bool on) {
  v1::Signal s = Sig(1, seq, at);
  s.mutable_state()->set_fire_alarm(on);
  s.set_point("1-023");
  return s;
}

v1::Signal Fault(uint64_t seq, absl::Time at, bool on) {
  v1::Signal s = Sig(1, seq, at);
  s.mutable_state()->set_fault(on);
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(*std::move(rules));
    engine_ = std::make_unique<Engine>(rules_.get(), &ids_);
  }

  // Feeds the signal to the engine on the current state, keeps the state it returns.
  Evaluation Feed(const v1::Device& device, const v1::Signal& signal, absl::Time now = kNow) {
    Evaluation e = engine_->OnSignal(device, state_, signal, now);
    state_ = e.state;
    return e;
  }

  SequentialIdGenerator ids_;
  std::unique_ptr<Rules> rules_;
  std::unique_ptr<Engine> engine_;
  v1::DeviceState state_;
};

// ---- order and validity ----

struct OrderCase {
  std::string name;
  uint64_t epoch;
  uint64_t seq;
  Verdict want;
};

class EngineOrderTest : public EngineTest, public ::testing::WithParamInterface<OrderCase> {};

TEST_P(EngineOrderTest, SignalsAreOrderedByBootEpochThenSequence) {
  state_.set_boot_epoch(2);
  state_.set_sequence(10);
  const OrderCase& c = GetParam();
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  Evaluation e = engine_->OnSignal(device, state_, Sig(c.epoch, c.seq, kNow), kNow);
  EXPECT_EQ(e.verdict, c.want);
  if (c.want == Verdict::kDuplicate) {
    EXPECT_FALSE(e.state_changed);
    EXPECT_TRUE(e.actions.empty());
    EXPECT_EQ(e.state.sequence(), 10u);
  } else {
    EXPECT_EQ(e.state.boot_epoch(), c.epoch);
    EXPECT_EQ(e.state.sequence(), c.seq);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EngineOrderTest,
    ::testing::Values(OrderCase{"SameSequenceIsADuplicate", 2, 10, Verdict::kDuplicate},
                      OrderCase{"LowerSequenceIsOutOfDate", 2, 9, Verdict::kDuplicate},
                      OrderCase{"OlderEpochWithHigherSequenceIsOutOfDate", 1, 50,
                                Verdict::kDuplicate},
                      OrderCase{"NextSequenceIsAccepted", 2, 11, Verdict::kAccepted},
                      OrderCase{"RebootRestartingAtOneIsAccepted", 3, 1, Verdict::kAccepted}),
    [](const ::testing::TestParamInfo<OrderCase>& info) { return info.param.name; });

TEST_F(EngineTest, DeviceTimeBeyondTheClockSkewIsFromTheFuture) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  const absl::Time limit = kNow + rules_->max_clock_skew();
  Evaluation late =
      engine_->OnSignal(device, state_, Fire(1, limit + absl::Seconds(1), true), kNow);
  EXPECT_EQ(late.verdict, Verdict::kRejected);
  EXPECT_EQ(late.reject_reason, "from_the_future");
  EXPECT_TRUE(late.actions.empty());
  EXPECT_FALSE(late.state_changed);
  Evaluation at_limit = engine_->OnSignal(device, state_, Fire(1, limit, true), kNow);
  EXPECT_EQ(at_limit.verdict, Verdict::kAccepted);
}

TEST_F(EngineTest, ABootEpochOrSequenceFromTheFutureIsRejectedAndDoesNotShutOutTheDevice) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  // A boot time in milliseconds (or seconds, or a counter) is fine; beyond now in milliseconds
  // plus the skew it is from the future.
  const uint64_t epoch_now = absl::ToUnixMillis(kNow);
  v1::Signal far_epoch = Fire(1, kNow, true);
  far_epoch.set_boot_epoch(epoch_now + 3'600'000);
  v1::Signal far_sequence = Fire(1, kNow, true);
  far_sequence.set_sequence(uint64_t{1} << 60);
  for (const v1::Signal& s : {far_epoch, far_sequence}) {
    Evaluation e = Feed(device, s);
    EXPECT_EQ(e.verdict, Verdict::kRejected);
    EXPECT_EQ(e.reject_reason, "from_the_future");
    EXPECT_FALSE(e.state_changed);
  }
  v1::Signal genuine = Fire(2, kNow, true);
  genuine.set_boot_epoch(epoch_now - 60'000);
  EXPECT_EQ(Feed(device, genuine).verdict, Verdict::kAccepted);
  v1::Signal rebooted = Fire(1, kNow, true);  // the simulator's boot epoch: its start in ms
  rebooted.set_boot_epoch(epoch_now);
  EXPECT_EQ(Feed(device, rebooted).verdict, Verdict::kAccepted);
}

struct MalformedCase {
  std::string name;
  std::function<void(v1::Signal*)> edit;
};

class EngineMalformedTest : public EngineTest,
                            public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(EngineMalformedTest, MalformedSignalsAreRejectedWithoutEffect) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  v1::Signal s = Pressure(1, kNow, 0.05);
  s.mutable_state()->set_fire_alarm(true);
  GetParam().edit(&s);
  Evaluation e = engine_->OnSignal(device, state_, s, kNow);
  EXPECT_EQ(e.verdict, Verdict::kRejected);
  EXPECT_EQ(e.reject_reason, "malformed");
  EXPECT_TRUE(e.actions.empty());
  EXPECT_FALSE(e.state_changed);
  EXPECT_EQ(e.state.sequence(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EngineMalformedTest,
    ::testing::Values(
        MalformedCase{"NoDeviceTime", [](v1::Signal* s) { s->clear_device_time(); }},
        MalformedCase{"SequenceZero", [](v1::Signal* s) { s->set_sequence(0); }},
        MalformedCase{"NoDeviceId", [](v1::Signal* s) { s->clear_device_id(); }},
        MalformedCase{"NaNAnalog",
                      [](v1::Signal* s) {
                        s->mutable_analog(0)->set_value(std::numeric_limits<double>::quiet_NaN());
                      }},
        MalformedCase{"InfiniteAnalog",
                      [](v1::Signal* s) {
                        s->mutable_analog(0)->set_value(std::numeric_limits<double>::infinity());
                      }},
        MalformedCase{
            "AnalogWithoutQuantity",
            [](v1::Signal* s) { s->mutable_analog(0)->set_quantity(v1::QUANTITY_UNSPECIFIED); }},
        MalformedCase{"DeviceTimeNanosOutOfRange",
                      [](v1::Signal* s) { s->mutable_device_time()->set_nanos(-1); }}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST_F(EngineTest, AnInstalledDeviceKeepsItsStateButRaisesNoAlarms) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR, v1::DEVICE_STATUS_INSTALLED);
  Evaluation e = Feed(device, Fire(1, kNow, true));
  EXPECT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_TRUE(e.actions.empty());
  EXPECT_TRUE(e.state_changed);  // the bits changed
  EXPECT_TRUE(e.state.state().fire_alarm());
  EXPECT_EQ(e.state.sequence(), 1u);
  EXPECT_EQ(e.state.conditions_size(), 0);
}

TEST_F(EngineTest, ADeviceGoingIntoServiceStartsItsRunsAfresh) {
  v1::Device installed = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE, v1::DEVICE_STATUS_INSTALLED);
  Feed(installed, Pressure(1, kNow, 0.05));
  Feed(installed, Pressure(2, kNow + absl::Minutes(20), 0.05), kNow + absl::Minutes(20));
  v1::Device in_service = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  const absl::Time t = kNow + absl::Minutes(21);
  EXPECT_TRUE(Feed(in_service, Pressure(3, t, 0.05), t).actions.empty());
  Evaluation e = Feed(in_service, Pressure(4, t + absl::Minutes(10), 0.05), t + absl::Minutes(10));
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kRaise);
}

TEST_F(EngineTest, ADecommissionedDeviceIsRejected) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR, v1::DEVICE_STATUS_DECOMMISSIONED);
  Evaluation e = engine_->OnSignal(device, state_, Fire(1, kNow, true), kNow);
  EXPECT_EQ(e.verdict, Verdict::kRejected);
  EXPECT_EQ(e.reject_reason, "decommissioned");
  EXPECT_TRUE(e.actions.empty());
  EXPECT_FALSE(e.state_changed);
}

// ---- bit rules ----

TEST_F(EngineTest, ABitRuleWithADurationRaisesOnlyAfterTheBitStayedSetThatLongOnDeviceTime) {
  // main-power-fault: 60 s in the shipped file.
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_FIRE_ALARM_PANEL);
  auto power = [](uint64_t seq, absl::Time at) {
    v1::Signal s = Sig(1, seq, at);
    s.mutable_state()->set_main_power_fault(true);
    return s;
  };
  const absl::Time t0 = kNow - absl::Hours(1);  // device time, an hour behind the server
  Evaluation first = Feed(device, power(1, t0));
  EXPECT_TRUE(first.actions.empty());
  EXPECT_TRUE(first.state_changed);
  Evaluation before = Feed(device, power(2, t0 + absl::Seconds(59)));
  EXPECT_TRUE(before.actions.empty());
  EXPECT_FALSE(before.state_changed);
  Evaluation at = Feed(device, power(3, t0 + absl::Seconds(60)));
  ASSERT_EQ(at.actions.size(), 1u);
  EXPECT_EQ(at.actions[0].kind, Kind::kRaise);
  EXPECT_EQ(at.actions[0].type, v1::ALARM_TYPE_MAIN_POWER_FAULT);
  EXPECT_EQ(at.actions[0].rule_id, "main-power-fault");
  EXPECT_EQ(at.actions[0].at, t0);  // the onset
  EXPECT_EQ(at.actions[0].details, "主电故障 持续 1 分钟");
}

TEST_F(EngineTest, ABitThatGoesAwayBeforeTheDurationRestartsTheRun) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_FIRE_ALARM_PANEL);
  auto power = [](uint64_t seq, absl::Time at, bool on) {
    v1::Signal s = Sig(1, seq, at);
    s.mutable_state()->set_main_power_fault(on);
    return s;
  };
  Feed(device, power(1, kNow, true));
  Feed(device, power(2, kNow + absl::Seconds(30), false));
  Feed(device, power(3, kNow + absl::Seconds(40), true), kNow + absl::Seconds(40));
  EXPECT_TRUE(Feed(device, power(4, kNow + absl::Seconds(70), true), kNow + absl::Seconds(70))
                  .actions.empty());
  Evaluation e = Feed(device, power(5, kNow + absl::Seconds(100), true), kNow + absl::Seconds(100));
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].at, kNow + absl::Seconds(40));
}

TEST_F(EngineTest, AFireAlarmRaisesAtOnceWithItsPointAndAnIdFromTheGenerator) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_FIRE_ALARM_PANEL);
  Evaluation e = Feed(device, Fire(1, kNow, true));
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kRaise);
  EXPECT_EQ(e.actions[0].type, v1::ALARM_TYPE_FIRE);
  EXPECT_EQ(e.actions[0].severity, v1::ALARM_SEVERITY_CRITICAL);
  EXPECT_EQ(e.actions[0].alarm_id, "alm_0001");
  EXPECT_EQ(e.actions[0].details, "火警 点位 1-023");
  EXPECT_TRUE(e.state_changed);
}

TEST_F(EngineTest, OnlyASignalMeetingADispatchingRuleMayDispatch) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  EXPECT_TRUE(engine_->MayDispatch(device, Fire(1, kNow, true)));
  EXPECT_FALSE(engine_->MayDispatch(device, Fire(1, kNow, false)));
  EXPECT_FALSE(engine_->MayDispatch(device, Fault(1, kNow, true)));
}

TEST_F(EngineTest, ALatchingFireAlarmDoesNotClearWhenTheBitGoes) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  Feed(device, Fire(1, kNow, true));
  Evaluation off = Feed(device, Fire(2, kNow + absl::Seconds(5), false));
  EXPECT_TRUE(off.actions.empty());
  EXPECT_TRUE(off.state_changed);  // the condition is no longer met
  Evaluation still = Feed(device, Fire(3, kNow + absl::Seconds(10), false));
  EXPECT_TRUE(still.actions.empty());
  EXPECT_FALSE(still.state_changed);
}

TEST_F(EngineTest, ARisingEdgeWhileTheAlarmIsActiveIsARepeatOfTheSameAlarm) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  const std::string id = Feed(device, Fire(1, kNow, true)).actions.at(0).alarm_id;
  EXPECT_TRUE(Feed(device, Fire(2, kNow, true)).actions.empty());  // still set: nothing new
  Feed(device, Fire(3, kNow, false));
  Evaluation again = Feed(device, Fire(4, kNow, true));
  ASSERT_EQ(again.actions.size(), 1u);
  EXPECT_EQ(again.actions[0].kind, Kind::kRepeat);
  EXPECT_EQ(again.actions[0].alarm_id, id);
  EXPECT_EQ(again.actions[0].type, v1::ALARM_TYPE_FIRE);
}

TEST_F(EngineTest, ANonLatchingBitAlarmClearsAtTheFirstSignalWithoutTheBit) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  const std::string id = Feed(device, Fault(1, kNow, true)).actions.at(0).alarm_id;
  Evaluation e = Feed(device, Fault(2, kNow + absl::Seconds(1), false));
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kClear);
  EXPECT_EQ(e.actions[0].alarm_id, id);
  EXPECT_EQ(e.actions[0].type, v1::ALARM_TYPE_FAULT);
}

TEST_F(EngineTest, ALateSignalAfterAClearDoesNotReopenTheAlarm) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  Feed(device, Fault(1, kNow, true));
  Feed(device, Fault(3, kNow + absl::Seconds(2), false));  // clears
  Evaluation late = Feed(device, Fault(2, kNow + absl::Seconds(1), true));
  EXPECT_EQ(late.verdict, Verdict::kDuplicate);
  EXPECT_TRUE(late.actions.empty());
  EXPECT_FALSE(late.state_changed);
}

TEST_F(EngineTest, AManualClearHoldsUntilTheConditionGoesAwayAndComesBack) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  const std::string id = Feed(device, Fault(1, kNow, true)).actions.at(0).alarm_id;
  state_ = Engine::AfterManualClear(state_, id);
  EXPECT_TRUE(Feed(device, Fault(2, kNow + absl::Seconds(1), true)).actions.empty());
  Feed(device, Fault(3, kNow + absl::Seconds(2), false));
  Evaluation back = Feed(device, Fault(4, kNow + absl::Seconds(3), true));
  ASSERT_EQ(back.actions.size(), 1u);
  EXPECT_EQ(back.actions[0].kind, Kind::kRaise);
  EXPECT_NE(back.actions[0].alarm_id, id);
}

// ---- analog rules ----

struct AnalogCase {
  std::string name;
  absl::Duration after;  // since the first signal below the limit
  bool raises;
};

class EngineLowPressureTest : public EngineTest,
                              public ::testing::WithParamInterface<AnalogCase> {};

TEST_P(EngineLowPressureTest, LowHydrantPressureRaisesOnlyAfterTenMinutes) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_TRUE(Feed(device, Pressure(1, kNow, 0.06)).actions.empty());
  const absl::Time t = kNow + GetParam().after;
  Evaluation e = Feed(device, Pressure(2, t, 0.06), t);
  if (!GetParam().raises) {
    EXPECT_TRUE(e.actions.empty());
    EXPECT_FALSE(e.state_changed);
    return;
  }
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kRaise);
  EXPECT_EQ(e.actions[0].type, v1::ALARM_TYPE_LOW_PRESSURE);
  EXPECT_EQ(e.actions[0].at, kNow);
  EXPECT_DOUBLE_EQ(e.actions[0].value, 0.06);
  EXPECT_DOUBLE_EQ(e.actions[0].limit, 0.10);
  EXPECT_EQ(e.actions[0].details, "管网压力 0.06 MPa 低于 0.10 MPa 持续 10 分钟");
}

INSTANTIATE_TEST_SUITE_P(Cases, EngineLowPressureTest,
                         ::testing::Values(AnalogCase{"NineMinutes", absl::Minutes(9), false},
                                           AnalogCase{"TenMinutes", absl::Minutes(10), true},
                                           AnalogCase{"AnHour", absl::Hours(1), true}),
                         [](const ::testing::TestParamInfo<AnalogCase>& info) {
                           return info.param.name;
                         });

TEST_F(EngineTest, AValueInsideTheHysteresisBandNeitherRestartsPendingNorClears) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.06));
  // 0.11 MPa: above the 0.10 limit but below 0.10 + 0.02.
  Evaluation band = Feed(device, Pressure(2, kNow + absl::Minutes(5), 0.11));
  EXPECT_TRUE(band.actions.empty());
  EXPECT_FALSE(band.state_changed);
  const absl::Time t = kNow + absl::Minutes(10);
  Evaluation raise = Feed(device, Pressure(3, t, 0.07), t);
  ASSERT_EQ(raise.actions.size(), 1u);
  EXPECT_EQ(raise.actions[0].at, kNow);  // the run did not restart
  Evaluation band_active = Feed(device, Pressure(4, t + absl::Minutes(1), 0.11), t);
  EXPECT_TRUE(band_active.actions.empty());
  EXPECT_FALSE(band_active.state_changed);
}

TEST_F(EngineTest, AValueBeyondTheHysteresisBandClearsTheAlarm) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.06));
  const absl::Time t = kNow + absl::Minutes(10);
  const std::string id = Feed(device, Pressure(2, t, 0.06), t).actions.at(0).alarm_id;
  Evaluation e = Feed(device, Pressure(3, t + absl::Minutes(1), 0.13), t);
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kClear);
  EXPECT_EQ(e.actions[0].alarm_id, id);
  EXPECT_THAT(e.actions[0].details, HasSubstr("0.13 MPa"));
  EXPECT_TRUE(e.state_changed);
}

TEST_F(EngineTest, AValueExactlyAtTheEdgeOfTheHysteresisBandClears) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.06));
  const absl::Time t = kNow + absl::Minutes(10);
  ASSERT_EQ(Feed(device, Pressure(2, t, 0.06), t).actions.size(), 1u);
  Evaluation e = Feed(device, Pressure(3, t + absl::Minutes(1), 0.12), t);  // 0.10 + 0.02
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kClear);
  EXPECT_EQ(e.actions[0].details, "管网压力 0.12 MPa 已恢复 (≥ 0.12 MPa)");
}

TEST_F(EngineTest, AValueBeyondTheBandBeforeTheDurationEndsThePendingRun) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.06));
  Evaluation ok = Feed(device, Pressure(2, kNow + absl::Minutes(5), 0.20));
  EXPECT_TRUE(ok.actions.empty());
  EXPECT_TRUE(ok.state_changed);
  Feed(device, Pressure(3, kNow + absl::Minutes(6), 0.06));
  const absl::Time t = kNow + absl::Minutes(12);
  EXPECT_TRUE(Feed(device, Pressure(4, t, 0.06), t).actions.empty());
}

TEST_F(EngineTest, AnAboveRuleRaisesWithItsOwnWording) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_GAS_DETECTOR);
  v1::Signal s = Sig(1, 1, kNow);
  v1::AnalogValue* a = s.add_analog();
  a->set_quantity(v1::QUANTITY_GAS_LEL_PERCENT);
  a->set_value(40);
  Evaluation e = Feed(device, s);
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].type, v1::ALARM_TYPE_COMBUSTIBLE_GAS);
  EXPECT_EQ(e.actions[0].details, "可燃气体浓度 40 %LEL 高于 25 %LEL");
}

// ---- every shipped rule, read from the file ----

namespace cfg = ::firegrid::config::v1;

void SetBit(cfg::StateBit bit, bool on, v1::StateBits* bits) {
  switch (bit) {
    case cfg::STATE_BIT_FIRE_ALARM:
      bits->set_fire_alarm(on);
      break;
    case cfg::STATE_BIT_FAULT:
      bits->set_fault(on);
      break;
    case cfg::STATE_BIT_SUPERVISORY:
      bits->set_supervisory(on);
      break;
    case cfg::STATE_BIT_SHIELDED:
      bits->set_shielded(on);
      break;
    case cfg::STATE_BIT_MAIN_POWER_FAULT:
      bits->set_main_power_fault(on);
      break;
    case cfg::STATE_BIT_BACKUP_POWER_FAULT:
      bits->set_backup_power_fault(on);
      break;
    default:
      ADD_FAILURE() << "unknown bit " << bit;
  }
}

absl::Duration Dur(const google::protobuf::Duration& d) { return absl::Seconds(d.seconds()); }

TEST_F(EngineTest, EveryShippedBitRuleRaisesAfterItsDurationAndClearsUnlessLatching) {
  for (const cfg::StateBitRule& r : rules_->proto().state_bit_rules()) {
    SCOPED_TRACE(r.id());
    state_.Clear();
    v1::Device device =
        MakeDevice(r.device_types().empty() ? v1::DEVICE_TYPE_FIRE_ALARM_PANEL
                                            : static_cast<v1::DeviceType>(r.device_types(0)));
    auto sig = [&](uint64_t seq, absl::Time at, bool on) {
      v1::Signal s = Sig(1, seq, at);
      SetBit(r.bit(), on, s.mutable_state());
      return s;
    };
    const absl::Duration d = Dur(r.duration());
    Evaluation first = Feed(device, sig(1, kNow, true), kNow);
    if (d > absl::ZeroDuration()) {
      EXPECT_TRUE(first.actions.empty());
      EXPECT_TRUE(
          Feed(device, sig(2, kNow + d - absl::Seconds(1), true), kNow + d).actions.empty());
      first = Feed(device, sig(3, kNow + d, true), kNow + d);
    }
    ASSERT_EQ(first.actions.size(), 1u);
    EXPECT_EQ(first.actions[0].kind, Kind::kRaise);
    EXPECT_EQ(first.actions[0].type, r.alarm_type());
    EXPECT_EQ(first.actions[0].severity, r.severity());
    Evaluation off = Feed(device, sig(4, kNow + d + absl::Seconds(1), false), kNow + d);
    if (r.latching()) {
      EXPECT_TRUE(off.actions.empty());
    } else {
      ASSERT_EQ(off.actions.size(), 1u);
      EXPECT_EQ(off.actions[0].kind, Kind::kClear);
    }
  }
}

TEST_F(EngineTest, EveryShippedAnalogRuleRaisesAfterItsDurationHoldsInItsBandAndClearsBeyond) {
  for (const cfg::AnalogRule& r : rules_->proto().analog_rules()) {
    SCOPED_TRACE(r.id());
    state_.Clear();
    ASSERT_FALSE(r.device_types().empty());
    v1::Device device = MakeDevice(static_cast<v1::DeviceType>(r.device_types(0)));
    const bool below = r.direction() == cfg::DIRECTION_BELOW;
    const double scale = std::max(1.0, std::fabs(r.limit())) / 2;
    const double past =
        below ? (r.limit() > 0 ? r.limit() / 2 : r.limit() - scale) : r.limit() + scale;
    const double band = below ? r.limit() + r.hysteresis() / 2 : r.limit() - r.hysteresis() / 2;
    const double back =
        below ? r.limit() + r.hysteresis() + scale : r.limit() - r.hysteresis() - scale;
    auto sig = [&](uint64_t seq, absl::Time at, double x) {
      v1::Signal s = Sig(1, seq, at);
      v1::AnalogValue* a = s.add_analog();
      a->set_quantity(r.quantity());
      a->set_value(x);
      return s;
    };
    const absl::Duration d = Dur(r.duration());
    Evaluation raise = Feed(device, sig(1, kNow, past), kNow);
    if (d > absl::ZeroDuration()) {
      EXPECT_TRUE(raise.actions.empty());
      EXPECT_TRUE(
          Feed(device, sig(2, kNow + d - absl::Seconds(1), past), kNow + d).actions.empty());
      raise = Feed(device, sig(3, kNow + d, past), kNow + d);
    }
    ASSERT_EQ(raise.actions.size(), 1u);
    EXPECT_EQ(raise.actions[0].kind, Kind::kRaise);
    EXPECT_EQ(raise.actions[0].type, r.alarm_type());
    EXPECT_DOUBLE_EQ(raise.actions[0].limit, r.limit());
    EXPECT_TRUE(Feed(device, sig(4, kNow + d, band), kNow + d).actions.empty());
    Evaluation clear = Feed(device, sig(5, kNow + d, back), kNow + d);
    ASSERT_EQ(clear.actions.size(), 1u);
    EXPECT_EQ(clear.actions[0].kind, Kind::kClear);
  }
}

// ---- heartbeats ----

TEST_F(EngineTest, APlainHeartbeatChangesNothingToWrite) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.30));
  Evaluation e = Feed(device, Pressure(2, kNow + absl::Minutes(5), 0.31));
  EXPECT_EQ(e.verdict, Verdict::kAccepted);
  EXPECT_FALSE(e.state_changed);
  EXPECT_TRUE(e.actions.empty());
  EXPECT_EQ(e.state.sequence(), 2u);  // the evaluation moves on; the store is not written
}

TEST_F(EngineTest, AnyConditionChangeMustBeWritten) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.30));
  Evaluation e = Feed(device, Pressure(2, kNow + absl::Minutes(5), 0.08));  // a run starts
  EXPECT_TRUE(e.actions.empty());
  EXPECT_TRUE(e.state_changed);
  EXPECT_TRUE(e.state.conditions(0).met());
}

// ---- silence and decommission ----

TEST_F(EngineTest, ADeviceSilentForThreeHeartbeatPeriodsGoesOfflineNotBefore) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);  // 5 min heartbeat
  Feed(device, Pressure(1, kNow, 0.30));
  const absl::Time last_seen = kNow;
  Evaluation early = engine_->OnSilence(device, state_, last_seen,
                                        last_seen + absl::Minutes(15) - absl::Seconds(1));
  EXPECT_TRUE(early.actions.empty());
  EXPECT_FALSE(early.state_changed);
  Evaluation e = engine_->OnSilence(device, state_, last_seen, last_seen + absl::Minutes(15));
  ASSERT_EQ(e.actions.size(), 1u);
  EXPECT_EQ(e.actions[0].kind, Kind::kRaise);
  EXPECT_EQ(e.actions[0].type, v1::ALARM_TYPE_OFFLINE);
  EXPECT_EQ(e.actions[0].details, "设备离线: 连续 3 个心跳周期 (15 分钟) 未上报");
  EXPECT_TRUE(e.state.offline());
  EXPECT_TRUE(e.state_changed);
  state_ = e.state;
  // Already offline: nothing more.
  EXPECT_TRUE(
      engine_->OnSilence(device, state_, last_seen, last_seen + absl::Hours(2)).actions.empty());
}

TEST_F(EngineTest, AnInstalledDeviceNeverGoesOffline) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE, v1::DEVICE_STATUS_INSTALLED);
  EXPECT_TRUE(engine_->OnSilence(device, state_, kNow, kNow + absl::Hours(5)).actions.empty());
}

TEST_F(EngineTest, TheNextSignalClearsTheOfflineAlarm) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  Feed(device, Pressure(1, kNow, 0.30));
  Evaluation off = engine_->OnSilence(device, state_, kNow, kNow + absl::Hours(1));
  state_ = off.state;
  const std::string id = off.actions.at(0).alarm_id;
  Evaluation back = Feed(device, Pressure(2, kNow + absl::Hours(1), 0.30), kNow + absl::Hours(1));
  ASSERT_EQ(back.actions.size(), 1u);
  EXPECT_EQ(back.actions[0].kind, Kind::kClear);
  EXPECT_EQ(back.actions[0].type, v1::ALARM_TYPE_OFFLINE);
  EXPECT_EQ(back.actions[0].alarm_id, id);
  EXPECT_FALSE(back.state.offline());
  EXPECT_TRUE(back.state_changed);
}

TEST_F(EngineTest, DecommissioningClearsEveryActiveAlarm) {
  v1::Device device = MakeDevice(v1::DEVICE_TYPE_SMOKE_DETECTOR);
  v1::Signal s = Sig(1, 1, kNow);
  s.mutable_state()->set_fire_alarm(true);
  s.mutable_state()->set_fault(true);
  ASSERT_EQ(Feed(device, s).actions.size(), 2u);
  Evaluation off = engine_->OnSilence(device, state_, kNow, kNow + absl::Hours(1));
  state_ = off.state;
  Evaluation e = engine_->OnDecommission(device, state_, kNow + absl::Hours(2));
  std::vector<v1::AlarmType> cleared;
  for (const AlarmAction& a : e.actions) {
    EXPECT_EQ(a.kind, Kind::kClear);
    cleared.push_back(a.type);
  }
  EXPECT_THAT(cleared, ::testing::UnorderedElementsAre(v1::ALARM_TYPE_FIRE, v1::ALARM_TYPE_FAULT,
                                                       v1::ALARM_TYPE_OFFLINE));
  EXPECT_TRUE(e.state_changed);
  EXPECT_FALSE(e.state.offline());
  EXPECT_EQ(e.state.conditions_size(), 0);
}

}  // namespace
}  // namespace firegrid::monitoring
