#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using OrgUnitsTest = RegistryTest;

TEST_F(OrgUnitsTest, OrgUnitTierPathsFollowDivisionCodes) {
  v1::GetOrgUnitRequest get;
  get.set_code(kCommunityA);
  auto u = registry_.GetOrgUnit(worker_a_, get);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->tier_path(), kCommunityA);
  // A community worker sees the units above it but not a neighbouring community.
  get.set_code(kStreet);
  EXPECT_TRUE(registry_.GetOrgUnit(worker_a_, get).ok());
  get.set_code(kCommunityB);
  EXPECT_EQ(registry_.GetOrgUnit(worker_a_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// Building managers and agencies carry their area as tier path (their accounts' tokens do),
// but read no org units: neither their own area's nor one above it.
TEST_F(OrgUnitsTest, BuildingManagersAndAgenciesReadNoOrgUnitsWhateverTheirTierPath) {
  v1::GetOrgUnitRequest get;
  for (const auto& p : {Make(Role::kBuildingManager, kCommunityA, "mgr"),
                        Make(Role::kServiceAgency, kCommunityA, "agency")}) {
    for (const char* code : {kCommunityA, kStreet}) {
      get.set_code(code);
      EXPECT_EQ(registry_.GetOrgUnit(p, get).status().code(), absl::StatusCode::kPermissionDenied)
          << auth::RoleName(p.role) << " " << code;
    }
  }
}

TEST_F(OrgUnitsTest, DepartmentsHangUnderTheirDistrict) {
  Unit("500109.urban_management", v1::ORG_UNIT_KIND_DEPARTMENT, kDistrict, "区城市管理局");
  v1::GetOrgUnitRequest get;
  get.set_code("500109.urban_management");
  auto u = registry_.GetOrgUnit(admin_, get);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->tier_path(), kDistrict);
}

TEST_F(OrgUnitsTest, OrgUnitValidationNamesTheField) {
  v1::UpsertOrgUnitRequest req;
  req.mutable_org_unit()->set_code("50010900100");  // 11 digits
  req.mutable_org_unit()->set_kind(v1::ORG_UNIT_KIND_COMMUNITY);
  req.mutable_org_unit()->set_parent_code(kStreet);
  req.mutable_org_unit()->set_name("x");
  auto s = registry_.UpsertOrgUnit(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("org_unit.code"));
  // Parent must exist.
  req.mutable_org_unit()->set_code("500109009001");
  req.mutable_org_unit()->set_parent_code("500109009");
  s = registry_.UpsertOrgUnit(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("org_unit.parent_code"));
  // Only district admins manage org units.
  req.mutable_org_unit()->set_code("500109001009");
  req.mutable_org_unit()->set_parent_code(kStreet);
  EXPECT_EQ(registry_.UpsertOrgUnit(street_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(OrgUnitsTest, ListOrgUnitsPagesWithinScope) {
  v1::ListOrgUnitsRequest req;
  req.set_page_size(2);
  auto page1 = registry_.ListOrgUnits(street_, req);
  ASSERT_TRUE(page1.ok()) << page1.status();
  EXPECT_EQ(page1->org_units_size(), 2);
  ASSERT_FALSE(page1->next_page_token().empty());
  req.set_page_token(page1->next_page_token());
  auto page2 = registry_.ListOrgUnits(street_, req);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2->org_units_size(), 1);  // street + 2 communities
  EXPECT_TRUE(page2->next_page_token().empty());
  req.clear_page_token();
  req.set_tier_path_prefix(kOtherStreet);
  EXPECT_EQ(registry_.ListOrgUnits(street_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
