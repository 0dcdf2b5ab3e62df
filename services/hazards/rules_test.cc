#include "services/hazards/rules.h"

#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

absl::StatusOr<Rules> Shipped() {
  return Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
}

TEST(HazardRules, ShippedConfigLoadsWithRoutingAndGuidanceForEveryCategory) {
  auto rules = Shipped();
  ASSERT_TRUE(rules.ok()) << rules.status();
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    const auto cat = static_cast<v1::HazardCategory>(c);
    EXPECT_FALSE(rules->RoutingFor(cat).lead_departments().empty()) << c;
    v1::Guidance g = rules->GuidanceFor(cat);
    EXPECT_FALSE(g.steps().empty()) << c;
    EXPECT_FALSE(g.legal_basis().empty()) << c;
    EXPECT_EQ(g.lead_departments_size(), rules->RoutingFor(cat).lead_departments_size());
  }
}

TEST(HazardRules, GeneralPeriodIsTheGuidanceUsualDeadlineAndMajorFallsBackToTheDefault) {
  auto rules = Shipped();
  ASSERT_TRUE(rules.ok());
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    const auto cat = static_cast<v1::HazardCategory>(c);
    EXPECT_EQ(rules->Period(v1::SEVERITY_GENERAL, cat),
              absl::Hours(24 * rules->GuidanceFor(cat).usual_deadline_days()))
        << v1::HazardCategory_Name(cat);
  }
  EXPECT_EQ(rules->Period(v1::SEVERITY_MAJOR, v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT),
            absl::Hours(24 * 90));
  EXPECT_EQ(rules->Period(v1::SEVERITY_MAJOR, v1::HAZARD_CATEGORY_EVACUATION_BLOCKED),
            absl::Hours(24));
}

TEST(HazardRules, RejectsUnknownDepartmentsMissingCategoriesAndBadNumbers) {
  auto base = Shipped();
  ASSERT_TRUE(base.ok());
  RulesProto rules = base->proto();
  GuidanceBook guidance;
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    *guidance.add_guidance() = base->GuidanceFor(static_cast<v1::HazardCategory>(c));
  }
  ASSERT_TRUE(Rules::Create(rules, guidance).ok());

  RulesProto bad = rules;
  bad.mutable_routing(0)->add_assisting_departments("ministry_of_magic");
  auto s = Rules::Create(bad, guidance).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ministry_of_magic"), std::string::npos) << s;

  bad = rules;
  bad.mutable_routing()->RemoveLast();
  EXPECT_NE(Rules::Create(bad, guidance).status().message().find("no rule for"), std::string::npos);

  GuidanceBook short_book = guidance;
  short_book.mutable_guidance()->RemoveLast();
  EXPECT_FALSE(Rules::Create(rules, short_book).ok());

  bad = rules;
  bad.set_major_confirmations(0);
  EXPECT_FALSE(Rules::Create(bad, guidance).ok());
  bad = rules;
  bad.mutable_reminders()->set_due_soon_hours(0);
  EXPECT_FALSE(Rules::Create(bad, guidance).ok());
  for (int days : {-1, 3651}) {
    bad = rules;
    bad.set_reporter_retention_days(days);
    auto refused = Rules::Create(bad, guidance).status();
    EXPECT_NE(refused.message().find("reporter_retention_days"), std::string::npos) << days;
  }
  bad = rules;
  bad.set_reporter_retention_days(0);  // unset: the default
  auto defaulted = Rules::Create(bad, guidance);
  ASSERT_TRUE(defaulted.ok()) << defaulted.status();
  EXPECT_EQ(defaulted->reporter_retention(), absl::Hours(24 * 180));
}

TEST(HazardRules, ARoutingTargetMissingFromTheDepartmentsFileIsRefusedByName) {
  auto base = Shipped();
  ASSERT_TRUE(base.ok());
  GuidanceBook guidance;
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    *guidance.add_guidance() = base->GuidanceFor(static_cast<v1::HazardCategory>(c));
  }
  // A departments file without the gas company: gas and electrical hazards would reach nobody.
  ::firegrid::config::v1::DepartmentBook book;
  for (const auto& e : Departments::Shipped().entries()) {
    if (e.slug() != "gas_company") *book.add_departments() = e;
  }
  auto departments = Departments::Create(book);
  ASSERT_TRUE(departments.ok()) << departments.status();
  auto s = Rules::Create(base->proto(), guidance, *departments).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'gas_company' does not resolve to an org unit"), std::string::npos)
      << s;
  EXPECT_NE(s.message().find("HAZARD_CATEGORY_GAS_ELECTRICAL"), std::string::npos) << s;
}

}  // namespace
}  // namespace firegrid::hazards
