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

namespace sv1 = ::firegrid::subjects::v1;

void AddParty(bv1::Building* b, sv1::PartyRole role, const std::string& name,
              const std::string& code) {
  auto* p = b->add_parties();
  p->set_role(role);
  p->set_name(name);
  p->set_credit_code(code);
}

TEST(DefaultLiableParty, TheFirstManagementUnitBeforeAnyPropertyCompanyOrOwner) {
  bv1::Building b;
  AddParty(&b, sv1::PARTY_ROLE_OWNER, "owner", "91110000600037341L");
  AddParty(&b, sv1::PARTY_ROLE_PROPERTY_COMPANY, "property", "91440300708461136T");
  AddParty(&b, sv1::PARTY_ROLE_MANAGEMENT_UNIT, "unit 1", "91350100M000100Y43");
  AddParty(&b, sv1::PARTY_ROLE_MANAGEMENT_UNIT, "unit 2", "91110000600037341L");
  auto p = DefaultLiableParty(b);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name(), "unit 1");
  EXPECT_EQ(p->credit_code(), "91350100M000100Y43");
  EXPECT_EQ(ViewOf(b).liable_party->name(), "unit 1");
}

TEST(DefaultLiableParty, ThePropertyCompanyWithoutAManagementUnit) {
  bv1::Building b;
  AddParty(&b, sv1::PARTY_ROLE_OCCUPANT, "shop", "91110000600037341L");
  AddParty(&b, sv1::PARTY_ROLE_OWNER, "owner", "91110000600037341L");
  AddParty(&b, sv1::PARTY_ROLE_PROPERTY_COMPANY, "property 1", "91440300708461136T");
  AddParty(&b, sv1::PARTY_ROLE_PROPERTY_COMPANY, "property 2", "91350100M000100Y43");
  EXPECT_EQ(DefaultLiableParty(b)->name(), "property 1");
}

TEST(DefaultLiableParty, TheOwnerWhenNoOneManagesTheBuilding) {
  bv1::Building b;
  AddParty(&b, sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "agency", "91440300708461136T");
  AddParty(&b, sv1::PARTY_ROLE_OWNER, "owner 1", "91110000600037341L");
  AddParty(&b, sv1::PARTY_ROLE_OWNER, "owner 2", "91350100M000100Y43");
  EXPECT_EQ(DefaultLiableParty(b)->name(), "owner 1");
}

TEST(DefaultLiableParty, NoneWhenTheBuildingNamesNoManagerOrOwner) {
  bv1::Building b;
  EXPECT_FALSE(DefaultLiableParty(b).has_value());
  AddParty(&b, sv1::PARTY_ROLE_OCCUPANT, "shop", "91110000600037341L");
  AddParty(&b, sv1::PARTY_ROLE_BUILDER, "builder", "91440300708461136T");
  EXPECT_FALSE(DefaultLiableParty(b).has_value());
  EXPECT_FALSE(ViewOf(b).liable_party.has_value());
}

TEST(WithResponsibility, KeepsTheLiableParty) {
  bv1::Building b;
  AddParty(&b, sv1::PARTY_ROLE_OWNER, "owner", "91110000600037341L");
  bv1::ResponsibilityFiled filed;
  filed.mutable_chain()->mutable_manager()->set_subject("mgr");
  EXPECT_EQ(WithResponsibility(ViewOf(b), filed).liable_party->name(), "owner");
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
