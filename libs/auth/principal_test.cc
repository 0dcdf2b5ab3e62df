#include "libs/auth/principal.h"

#include "gtest/gtest.h"

namespace firegrid::auth {
namespace {

TEST(RoleName, EveryRealRoleRoundTripsThroughParseRole) {
  const Role roles[] = {Role::kDistrictAdmin,   Role::kDepartmentOfficer, Role::kStreetOfficer,
                        Role::kCommunityWorker, Role::kBuildingManager,   Role::kServiceAgency,
                        Role::kInternalService, Role::kMicroStation,      Role::kIotGateway,
                        Role::kPublicChannel};
  for (Role r : roles) {
    absl::StatusOr<Role> parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok()) << RoleName(r);
    EXPECT_EQ(*parsed, r);
  }
}

TEST(RoleName, UsesTheWireNames) {
  EXPECT_EQ(RoleName(Role::kDistrictAdmin), "district_admin");
  EXPECT_EQ(RoleName(Role::kDepartmentOfficer), "department_officer");
  EXPECT_EQ(RoleName(Role::kStreetOfficer), "street_officer");
  EXPECT_EQ(RoleName(Role::kCommunityWorker), "community_worker");
  EXPECT_EQ(RoleName(Role::kBuildingManager), "building_manager");
  EXPECT_EQ(RoleName(Role::kServiceAgency), "service_agency");
  EXPECT_EQ(RoleName(Role::kInternalService), "internal_service");
  EXPECT_EQ(RoleName(Role::kMicroStation), "micro_station");
  EXPECT_EQ(RoleName(Role::kIotGateway), "iot_gateway");
  EXPECT_EQ(RoleName(Role::kPublicChannel), "public_channel");
}

TEST(ParseRole, RejectsUnknownEmptyUnspecifiedAndWrongCase) {
  for (absl::string_view s : {"", "unspecified", "admin", "District_Admin", "district_admin "}) {
    absl::StatusOr<Role> r = ParseRole(s);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << "'" << s << "'";
  }
}

}  // namespace
}  // namespace firegrid::auth
