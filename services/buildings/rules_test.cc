#include "services/buildings/rules.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

TEST(Rules, ShippedConfigParsesAndMatchesTheCompiledDefaults) {
  auto rules = LoadRulesFile(FIREGRID_RULES_FILE);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*rules, DefaultRules()))
      << rules->DebugString();
}

TEST(Rules, RejectsNonPositiveThresholdsNamingTheField) {
  Rules r = DefaultRules();
  r.mutable_fire_access()->set_lane_min_clear_width_m(0);
  absl::Status s = ValidateRules(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("lane_min_clear_width_m"), std::string::npos) << s;
}

TEST(Rules, RejectsThresholdsOutOfOrder) {
  Rules r = DefaultRules();
  r.mutable_building_class()->set_residential_class_i_m(20);
  EXPECT_EQ(ValidateRules(r).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Rules, RejectsMalformedHolidays) {
  Rules r = DefaultRules();
  r.mutable_filing()->add_holidays("2026-02-30");
  absl::Status s = ValidateRules(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("filing.holidays"), std::string::npos) << s;
}

TEST(Rules, RejectsTextThatIsNotRules) {
  EXPECT_FALSE(ParseRules("building_class { nonsense: 1 }").ok());
  EXPECT_EQ(LoadRulesFile("/nonexistent/rules.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace firegrid::buildings
