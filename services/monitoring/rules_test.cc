#include "services/monitoring/rules.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

namespace cfg = ::firegrid::config::v1;
using ::testing::HasSubstr;

cfg::MonitoringRules Shipped() {
  std::ifstream in(FIREGRID_MONITORING_RULES);
  std::stringstream ss;
  ss << in.rdbuf();
  cfg::MonitoringRules proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(ss.str(), &proto));
  return proto;
}

TEST(MonitoringRules, TheShippedFileLoadsAndEveryRuleNamesItsSource) {
  absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_FALSE(rules->version().empty());
  for (const auto& r : rules->proto().state_bit_rules()) EXPECT_FALSE(r.source().empty()) << r.id();
  for (const auto& r : rules->proto().analog_rules()) EXPECT_FALSE(r.source().empty()) << r.id();
  EXPECT_FALSE(rules->proto().offline().source().empty());
  EXPECT_GT(rules->max_clock_skew(), absl::ZeroDuration());
}

// What the issue asks of the shipped rules, read from the file (not restated here).
TEST(MonitoringRules, TheShippedFileRaisesLowHydrantPressureAfterTenMinutesAsANoWaterHazard) {
  absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
  ASSERT_TRUE(rules.ok());
  auto analog = rules->AnalogRulesFor(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  ASSERT_EQ(analog.size(), 1u);
  const cfg::AnalogRule& r = *analog[0];
  EXPECT_EQ(r.alarm_type(), v1::ALARM_TYPE_LOW_PRESSURE);
  EXPECT_EQ(r.direction(), cfg::DIRECTION_BELOW);
  EXPECT_EQ(r.duration().seconds(), 600);
  EXPECT_GT(r.hysteresis(), 0);
  const cfg::HazardFiling* filing = rules->HazardFilingOf(r.id());
  ASSERT_NE(filing, nullptr);
  EXPECT_EQ(filing->category(), hazards::v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
}

TEST(MonitoringRules, TheShippedFireAlarmRuleDispatchesAndLatchesForEveryDeviceType) {
  absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
  ASSERT_TRUE(rules.ok());
  for (int t = v1::DeviceType_MIN + 1; t <= v1::DeviceType_MAX; ++t) {
    bool found = false;
    for (const cfg::StateBitRule* r : rules->StateBitRulesFor(static_cast<v1::DeviceType>(t))) {
      if (r->bit() != cfg::STATE_BIT_FIRE_ALARM) continue;
      found = true;
      EXPECT_EQ(r->alarm_type(), v1::ALARM_TYPE_FIRE);
      EXPECT_TRUE(rules->Dispatches(r->id()));
      EXPECT_TRUE(rules->Latching(r->id()));
    }
    EXPECT_TRUE(found) << v1::DeviceType_Name(static_cast<v1::DeviceType>(t));
  }
  EXPECT_EQ(rules->proto().offline().missed_periods(), 3);
}

struct Broken {
  std::string name;
  std::function<void(cfg::MonitoringRules*)> edit;
  std::string want;  // part of the INVALID_ARGUMENT message
};

std::vector<Broken> BrokenCases() {
  return {
      {"NoVersion", [](cfg::MonitoringRules* p) { p->clear_version(); }, "version"},
      {"NoClockSkew", [](cfg::MonitoringRules* p) { p->clear_max_clock_skew(); }, "max_clock_skew"},
      {"DuplicateId",
       [](cfg::MonitoringRules* p) {
         p->mutable_analog_rules(1)->set_id(p->state_bit_rules(0).id());
       },
       "duplicate"},
      {"RuleWithoutSource",
       [](cfg::MonitoringRules* p) { p->mutable_state_bit_rules(0)->clear_source(); },
       "state_bit_rules[0].source"},
      {"BitRuleWithoutBit",
       [](cfg::MonitoringRules* p) { p->mutable_state_bit_rules(1)->clear_bit(); },
       "state_bit_rules[1].bit"},
      {"NegativeHysteresis",
       [](cfg::MonitoringRules* p) { p->mutable_analog_rules(0)->set_hysteresis(-0.1); },
       "analog_rules[0].hysteresis"},
      {"InfiniteLimit",
       [](cfg::MonitoringRules* p) { p->mutable_analog_rules(0)->set_limit(1.0 / 0.0); },
       "analog_rules[0].limit"},
      {"NoDirection",
       [](cfg::MonitoringRules* p) { p->mutable_analog_rules(0)->clear_direction(); },
       "analog_rules[0].direction"},
      {"NegativeDuration",
       [](cfg::MonitoringRules* p) {
         p->mutable_analog_rules(0)->mutable_duration()->set_seconds(-1);
       },
       "analog_rules[0].duration"},
      {"HazardWithoutCategory",
       [](cfg::MonitoringRules* p) {
         p->mutable_analog_rules(0)->mutable_hazard()->clear_category();
       },
       "analog_rules[0].hazard.category"},
      {"TwoRulesRaiseOneAlarmTypeForOneDevice",
       [](cfg::MonitoringRules* p) {
         p->mutable_analog_rules(1)->set_alarm_type(p->analog_rules(0).alarm_type());
         p->mutable_analog_rules(1)->clear_device_types();
         p->mutable_analog_rules(1)->add_device_types(p->analog_rules(0).device_types(0));
       },
       "is already raised by rule"},
      {"OfflineWithoutPeriods",
       [](cfg::MonitoringRules* p) { p->mutable_offline()->set_missed_periods(0); },
       "offline.missed_periods"},
      {"DispatchWithoutStations",
       [](cfg::MonitoringRules* p) { p->mutable_dispatch()->set_nearest_stations(0); },
       "dispatch.nearest_stations"},
      {"DispatchToANonSlug",
       [](cfg::MonitoringRules* p) { p->mutable_dispatch()->set_fire_rescue_department("Fire"); },
       "dispatch.fire_rescue_department"},
  };
}

class MonitoringRulesRefuse : public ::testing::TestWithParam<Broken> {};

TEST_P(MonitoringRulesRefuse, ABrokenRuleSetNamingTheField) {
  cfg::MonitoringRules proto = Shipped();
  GetParam().edit(&proto);
  absl::StatusOr<Rules> rules = Rules::FromProto(proto);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rules.status().message()), HasSubstr(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(Cases, MonitoringRulesRefuse, ::testing::ValuesIn(BrokenCases()),
                         [](const auto& info) { return info.param.name; });

TEST(MonitoringRules, AnUnreadableFileIsNamed) {
  absl::StatusOr<Rules> rules = Rules::LoadFile("/nonexistent/monitoring_rules.textproto");
  ASSERT_FALSE(rules.ok());
  EXPECT_THAT(std::string(rules.status().message()), HasSubstr("/nonexistent"));
}

}  // namespace
}  // namespace firegrid::monitoring
