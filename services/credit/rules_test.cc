#include "services/credit/rules.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/hazards/departments.h"

namespace firegrid::credit {
namespace {

namespace cfg = ::firegrid::config::v1;
namespace hv1 = ::firegrid::hazards::v1;
using hazards::v1::HAZARD_CATEGORY_EVACUATION_BLOCKED;
using hazards::v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED;
using hazards::v1::HAZARD_CATEGORY_GAS_ELECTRICAL;
using hazards::v1::SEVERITY_GENERAL;
using hazards::v1::SEVERITY_MAJOR;
using ::testing::HasSubstr;

std::vector<std::string> DepartmentSlugs() {
  std::vector<std::string> out;
  for (const auto& e : hazards::Departments::Shipped().entries()) out.push_back(e.slug());
  return out;
}

Rules Shipped() {
  absl::StatusOr<Rules> r = Rules::LoadFile(FIREGRID_CREDIT_RULES, DepartmentSlugs());
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

TEST(CreditRulesTest, ShippedRuleSetLoadsWithVersionBaseAndBands) {
  Rules r = Shipped();
  EXPECT_EQ(r.version(), "2026.1");
  EXPECT_EQ(r.proto().base_score(), 100);
  EXPECT_EQ(r.LevelFor(100), v1::LEVEL_A);
  EXPECT_EQ(r.LevelFor(90), v1::LEVEL_A);
  EXPECT_EQ(r.LevelFor(89), v1::LEVEL_B);
  EXPECT_EQ(r.LevelFor(75), v1::LEVEL_B);
  EXPECT_EQ(r.LevelFor(74), v1::LEVEL_C);
  EXPECT_EQ(r.LevelFor(60), v1::LEVEL_C);
  EXPECT_EQ(r.LevelFor(59), v1::LEVEL_D);
  EXPECT_EQ(r.LevelFor(0), v1::LEVEL_D);
}

TEST(CreditRulesTest, ClampKeepsScoresWithinMinAndMax) {
  Rules r = Shipped();
  EXPECT_EQ(r.Clamp(-5), r.proto().min_score());
  EXPECT_EQ(r.Clamp(500), r.proto().max_score());
  EXPECT_EQ(r.Clamp(42), 42);
}

TEST(CreditRulesTest, MostSpecificHazardRuleWins) {
  Rules r = Shipped();
  const auto* fire_lane = r.MatchHazard(cfg::HazardRule::TRIGGER_VERIFIED, SEVERITY_GENERAL,
                                        HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  ASSERT_NE(fire_lane, nullptr);
  EXPECT_EQ(fire_lane->id(), "hazard.verified.general.fire_access");
  const auto* general = r.MatchHazard(cfg::HazardRule::TRIGGER_VERIFIED, SEVERITY_GENERAL,
                                      HAZARD_CATEGORY_GAS_ELECTRICAL);
  ASSERT_NE(general, nullptr);
  EXPECT_EQ(general->id(), "hazard.verified.general");
  const auto* overdue_major = r.MatchHazard(cfg::HazardRule::TRIGGER_OVERDUE, SEVERITY_MAJOR,
                                            HAZARD_CATEGORY_EVACUATION_BLOCKED);
  ASSERT_NE(overdue_major, nullptr);
  EXPECT_EQ(overdue_major->id(), "hazard.overdue.major");
  const auto* overdue_any = r.MatchHazard(cfg::HazardRule::TRIGGER_OVERDUE, SEVERITY_GENERAL,
                                          HAZARD_CATEGORY_EVACUATION_BLOCKED);
  ASSERT_NE(overdue_any, nullptr);
  EXPECT_EQ(overdue_any->id(), "hazard.overdue");
}

TEST(CreditRulesTest, SpecificityOrdersSeverityAndCategoryThenSeverityThenCategoryThenAny) {
  cfg::CreditRules proto = Shipped().proto();
  proto.clear_hazard_rules();
  auto add = [&](const std::string& id, hv1::Severity sev, std::vector<hv1::HazardCategory> cats) {
    cfg::HazardRule* r = proto.add_hazard_rules();
    r->set_id(id);
    r->set_trigger(cfg::HazardRule::TRIGGER_VERIFIED);
    r->set_severity(sev);
    for (auto c : cats) r->add_categories(c);
    r->set_delta(-1);
  };
  add("any", hv1::SEVERITY_UNSPECIFIED, {});
  add("category", hv1::SEVERITY_UNSPECIFIED, {HAZARD_CATEGORY_GAS_ELECTRICAL});
  add("severity", SEVERITY_MAJOR, {});
  add("both", SEVERITY_MAJOR, {HAZARD_CATEGORY_GAS_ELECTRICAL});
  absl::StatusOr<Rules> r = Rules::FromProto(proto);
  ASSERT_TRUE(r.ok()) << r.status();
  auto match = [&](hv1::Severity s, hv1::HazardCategory c) {
    const cfg::HazardRule* m = r->MatchHazard(cfg::HazardRule::TRIGGER_VERIFIED, s, c);
    return m == nullptr ? std::string("none") : m->id();
  };
  EXPECT_EQ(match(SEVERITY_MAJOR, HAZARD_CATEGORY_GAS_ELECTRICAL), "both");
  EXPECT_EQ(match(SEVERITY_MAJOR, HAZARD_CATEGORY_EVACUATION_BLOCKED), "severity");
  EXPECT_EQ(match(SEVERITY_GENERAL, HAZARD_CATEGORY_GAS_ELECTRICAL), "category");
  EXPECT_EQ(match(SEVERITY_GENERAL, HAZARD_CATEGORY_EVACUATION_BLOCKED), "any");
  EXPECT_EQ(r->MatchHazard(cfg::HazardRule::TRIGGER_OVERDUE, SEVERITY_GENERAL,
                           HAZARD_CATEGORY_EVACUATION_BLOCKED),
            nullptr);
}

TEST(CreditRulesTest, NoHazardRuleForAnUncoveredSeverity) {
  Rules r = Shipped();
  EXPECT_EQ(r.MatchHazard(cfg::HazardRule::TRIGGER_VERIFIED, hazards::v1::SEVERITY_UNSPECIFIED,
                          HAZARD_CATEGORY_GAS_ELECTRICAL),
            nullptr);
}

TEST(CreditRulesTest, ManualRulesAreFoundById) {
  Rules r = Shipped();
  const auto* m = r.Manual("violation.false_inspection_report");
  ASSERT_NE(m, nullptr);
  EXPECT_LT(m->delta(), 0);
  EXPECT_EQ(r.Manual("no.such.rule"), nullptr);
}

TEST(CreditRulesTest, LoadFileNamesTheFileOnErrors) {
  absl::StatusOr<Rules> r = Rules::LoadFile("/nonexistent/credit_rules.textproto");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("/nonexistent/credit_rules.textproto"));
}

// ---- bad rule sets: each mutation of the shipped one is refused naming the field ----

struct BadCase {
  std::string name;
  std::function<void(cfg::CreditRules*)> mutate;
  std::string field;  // the error starts with it
};

// gtest prints the parameter in test names and failures: its name, not its bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadRuleSetTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRuleSetTest, RefusedNamingTheField) {
  cfg::CreditRules proto = Shipped().proto();
  GetParam().mutate(&proto);
  absl::StatusOr<Rules> r = Rules::FromProto(proto, DepartmentSlugs());
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::StartsWith(GetParam().field))
      << r.status();
}

cfg::HazardRule* HazardRuleById(cfg::CreditRules* p, const std::string& id) {
  for (auto& r : *p->mutable_hazard_rules()) {
    if (r.id() == id) return &r;
  }
  ADD_FAILURE() << "no hazard rule " << id;
  return p->add_hazard_rules();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, BadRuleSetTest,
    ::testing::Values(
        BadCase{"EmptyVersion", [](cfg::CreditRules* p) { p->clear_version(); }, "version"},
        BadCase{"BaseAboveMax", [](cfg::CreditRules* p) { p->set_base_score(200); }, "base_score"},
        BadCase{"MinAboveMax", [](cfg::CreditRules* p) { p->set_min_score(500); }, "max_score"},
        BadCase{"NegativeRepeatWindow", [](cfg::CreditRules* p) { p->set_repeat_window_days(-1); },
                "repeat_window_days"},
        BadCase{"HazardRuleWithoutId",
                [](cfg::CreditRules* p) { p->mutable_hazard_rules(1)->clear_id(); },
                "hazard_rules[1].id: required"},
        BadCase{"DuplicateHazardRuleId",
                [](cfg::CreditRules* p) {
                  p->mutable_hazard_rules(2)->set_id(p->hazard_rules(0).id());
                },
                "hazard_rules[2].id: duplicate"},
        BadCase{"ManualRuleReusingAHazardRuleId",
                [](cfg::CreditRules* p) {
                  p->mutable_manual_rules(0)->set_id(p->hazard_rules(0).id());
                },
                "manual_rules[0].id: duplicate"},
        BadCase{"HazardRuleWithoutTrigger",
                [](cfg::CreditRules* p) { p->mutable_hazard_rules(0)->clear_trigger(); },
                "hazard_rules[0].trigger"},
        BadCase{
            "RepeatDeltaOnOverdueRule",
            [](cfg::CreditRules* p) { HazardRuleById(p, "hazard.overdue")->set_repeat_delta(-9); },
            "hazard_rules[3].repeat_delta"},
        BadCase{"TwoEquallySpecificHazardRules",
                [](cfg::CreditRules* p) {
                  cfg::HazardRule* r = p->add_hazard_rules();
                  *r = *HazardRuleById(p, "hazard.verified.major");
                  r->set_id("hazard.verified.major.again");
                },
                "hazard_rules[6]"},
        BadCase{"ManualRuleWithoutLegalBasis",
                [](cfg::CreditRules* p) { p->mutable_manual_rules(1)->clear_legal_basis(); },
                "manual_rules[1].legal_basis"},
        BadCase{"ManualRuleWithoutRoles",
                [](cfg::CreditRules* p) { p->mutable_manual_rules(0)->clear_roles(); },
                "manual_rules[0].roles"},
        BadCase{"ManualRuleWithUnknownRole",
                [](cfg::CreditRules* p) { p->mutable_manual_rules(0)->set_roles(1, "mayor"); },
                "manual_rules[0].roles[1]"},
        BadCase{
            "ManualRuleWithUnknownSubjectType",
            [](cfg::CreditRules* p) { p->mutable_manual_rules(1)->set_subject_types(0, "ngo"); },
            "manual_rules[1].subject_types[0]"},
        BadCase{"ManualRuleWithUnknownDepartment",
                [](cfg::CreditRules* p) {
                  p->mutable_manual_rules(0)->set_departments(2, "ministry_of_magic");
                },
                "manual_rules[0].departments[2]"},
        BadCase{"BandsNotDescending",
                [](cfg::CreditRules* p) { p->mutable_levels(2)->set_min_score(80); },
                "levels[2].min_score"},
        BadCase{"BandsOutOfOrder",
                [](cfg::CreditRules* p) {
                  p->mutable_levels(0)->set_level(v1::LEVEL_B);
                  p->mutable_levels(1)->set_level(v1::LEVEL_A);
                },
                "levels[0].level"},
        BadCase{"MissingLevelD", [](cfg::CreditRules* p) { p->mutable_levels()->RemoveLast(); },
                "levels: missing LEVEL_D"},
        BadCase{"LastBandAboveMinScore",
                [](cfg::CreditRules* p) { p->mutable_levels(3)->set_min_score(10); },
                "levels[3].min_score"},
        BadCase{"ZeroObjectionPeriod",
                [](cfg::CreditRules* p) { p->mutable_blacklist()->set_objection_days(0); },
                "blacklist.objection_days"},
        BadCase{
            "DefaultDurationAboveMax",
            [](cfg::CreditRules* p) { p->mutable_blacklist()->set_default_duration_days(2000); },
            "blacklist.default_duration_days"},
        BadCase{"ZeroRepairPeriod",
                [](cfg::CreditRules* p) { p->mutable_blacklist()->set_repair_min_days(0); },
                "blacklist.repair_min_days"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

}  // namespace
}  // namespace firegrid::credit
