#include "services/accounts/access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::accounts {
namespace {

using ::testing::HasSubstr;

void ExpectInvalid(const absl::Status& s, absl::string_view field) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(field) + ":")) << s;
}

TEST(Username, AcceptsThreeToSixtyFourOfLowerCaseDigitsDotsUnderscoresAndDashes) {
  EXPECT_TRUE(ValidateUsername("worker.500109001002").ok());
  EXPECT_TRUE(ValidateUsername("a_b-c").ok());
  ExpectInvalid(ValidateUsername("ab"), "username");
  ExpectInvalid(ValidateUsername(std::string(65, 'a')), "username");
  ExpectInvalid(ValidateUsername("Alice"), "username");
  ExpectInvalid(ValidateUsername("al ice"), "username");
  ExpectInvalid(ValidateUsername("ali@ce"), "username");
}

TEST(Roles, OnlyThePeoplesRolesMayBeGiven) {
  for (const char* r :
       {"community_worker", "street_officer", "district_admin", "department_officer",
        "building_manager", "micro_station", "service_agency"}) {
    EXPECT_TRUE(ParseHumanRole(r).ok()) << r;
  }
  for (const char* r :
       {"internal_service", "iot_gateway", "public_channel", "unspecified", "", "District_Admin"}) {
    ExpectInvalid(ParseHumanRole(r).status(), "role");
  }
}

TEST(Jurisdiction, AreaRolesActForTheirDivisionCode) {
  auto p = PrincipalFor("w1", "community_worker", "500109001002", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "user:w1");
  EXPECT_EQ(p->tier_path, "500109001002");
  EXPECT_EQ(p->org_unit, "500109001002");
  // The level must fit the role (auth::ResolveCaller's rule).
  ExpectInvalid(PrincipalFor("w1", "community_worker", "500109001", "").status(), "org_unit");
  ExpectInvalid(PrincipalFor("s1", "street_officer", "500109", "").status(), "org_unit");
  ExpectInvalid(PrincipalFor("d1", "district_admin", "50010x", "").status(), "org_unit");
  ExpectInvalid(PrincipalFor("d1", "district_admin", "", "").status(), "org_unit");
  ExpectInvalid(PrincipalFor("d1", "district_admin", "500109", "fire_rescue").status(),
                "department");
}

TEST(Jurisdiction, ADepartmentOfficerIsTheDistrictDotDepartment) {
  auto p = PrincipalFor("u1", "department_officer", "500109.urban_management", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tier_path, "500109");
  EXPECT_EQ(p->department, "urban_management");
  EXPECT_EQ(p->org_unit, "500109.urban_management");
  auto same = PrincipalFor("u1", "department_officer", "500109", "urban_management");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->org_unit, "500109.urban_management");
  ExpectInvalid(PrincipalFor("u1", "department_officer", "500109", "").status(), "department");
  ExpectInvalid(PrincipalFor("u1", "department_officer", "500109.a", "b").status(), "department");
  ExpectInvalid(PrincipalFor("u1", "department_officer", "500109.Bad", "").status(), "department");
}

TEST(Jurisdiction, AMicroStationIsItsPlaceDotStationAndKeepsThatFormOnTheUser) {
  auto p = PrincipalFor("m1", "micro_station", "500109001.mfs_3", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tier_path, "500109001");
  EXPECT_EQ(p->org_unit, "mfs_3");
  v1::User u;
  SetJurisdiction(*p, &u);
  EXPECT_EQ(u.org_unit(), "500109001.mfs_3");
  EXPECT_EQ(u.tier_path(), "500109001");
  ExpectInvalid(PrincipalFor("m1", "micro_station", "mfs_3", "").status(), "org_unit");
  ExpectInvalid(PrincipalFor("m1", "micro_station", "500109.mfs_3", "").status(), "org_unit");
}

TEST(Jurisdiction, BuildingManagersAndAgenciesCarryTheirAreaAsTierPathOnly) {
  auto p = PrincipalFor("b1", "building_manager", "500109001", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tier_path, "500109001");
  EXPECT_EQ(p->org_unit, "");
  ExpectInvalid(PrincipalFor("b1", "service_agency", "x", "").status(), "org_unit");
}

TEST(Managing, DistrictAdminsManageTheirDistrictIncludingItsDepartments) {
  auth::Principal admin{.subject = "user:a",
                        .role = auth::Role::kDistrictAdmin,
                        .org_unit = "500109",
                        .tier_path = "500109"};
  EXPECT_TRUE(MayManageUser(admin, "500109001002").ok());
  EXPECT_TRUE(MayManageUser(admin, "500109").ok());  // a department officer's tier path
  EXPECT_EQ(MayManageUser(admin, "500110001").code(), absl::StatusCode::kPermissionDenied);
  auth::Principal service{.subject = "service:loader", .role = auth::Role::kInternalService};
  EXPECT_TRUE(MayManageUser(service, "500110001").ok());
  auth::Principal street{.subject = "user:s",
                         .role = auth::Role::kStreetOfficer,
                         .org_unit = "500109001",
                         .tier_path = "500109001"};
  EXPECT_EQ(MayManageUser(street, "500109001002").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::accounts
