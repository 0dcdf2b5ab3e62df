#include "services/hazards/projection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ViewOf, KeepsPlaceUseAndTheChainsPrincipals) {
  bv1::Building b;
  b.set_building_id("bld_A");
  b.set_name("楼 A");
  b.set_tier_path("500109001002");
  b.set_use(bv1::BUILDING_USE_SCHOOL);
  b.set_version(4);
  auto* chain = b.mutable_responsibility()->mutable_chain();
  chain->mutable_responsible_person()->set_subject("owner");
  chain->mutable_building_head()->set_subject("head");
  const BuildingView v = ViewOf(b);
  EXPECT_EQ(v.name, "楼 A");
  EXPECT_EQ(v.tier_path, "500109001002");
  EXPECT_EQ(v.use, bv1::BUILDING_USE_SCHOOL);
  EXPECT_EQ(v.version, 4);
  EXPECT_THAT(v.subjects, ElementsAre("owner", "head"));

  bv1::ResponsibilityFiled filed;
  filed.set_building_version(5);
  filed.mutable_chain()->mutable_manager()->set_subject("mgr");
  const BuildingView after = WithResponsibility(v, filed);
  EXPECT_EQ(after.version, 5);
  EXPECT_THAT(after.subjects, ElementsAre("mgr"));
}

TEST(CampaignReports, OneGeneralCampaignReportPerCategoryWithAKeyPerEventAndCategory) {
  bv1::FireAccessNonCompliant e;
  e.set_building_id("bld_A");
  auto add = [&](bv1::ViolationKind kind, const std::string& message) {
    auto* v = e.mutable_assessment()->add_violations();
    v->set_kind(kind);
    v->set_message(message);
  };
  add(bv1::VIOLATION_KIND_OCCUPIED, "lane blocked");
  add(bv1::VIOLATION_KIND_OCCUPIED, "site blocked");
  add(bv1::VIOLATION_KIND_MARKING, "no marking");
  const auto reports = CampaignReports(e, "evt_1");
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].category(), v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(reports[0].source(), v1::SOURCE_CAMPAIGN);
  EXPECT_EQ(reports[0].severity(), v1::SEVERITY_GENERAL);
  EXPECT_THAT(reports[0].description(), HasSubstr("lane blocked; site blocked"));
  EXPECT_NE(reports[0].idempotency_key(), reports[1].idempotency_key());
  EXPECT_THAT(reports[1].idempotency_key(), HasSubstr("evt_1"));
}

}  // namespace
}  // namespace firegrid::hazards
