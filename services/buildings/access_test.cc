#include "services/buildings/access.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

using auth::Principal;
using auth::Role;

constexpr char kCommunity[] = "500109001001";

Principal Make(Role role, const std::string& tier, const std::string& subject = "u") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  return p;
}

v1::Building InCommunity() {
  v1::Building b;
  b.set_tier_path(kCommunity);
  return b;
}

// One row of the role table in README.md: what a role at its own tier may do with a building
// of its community.
struct RoleCase {
  Role role;
  std::string tier;
  bool read, edit, facility, manage_area;
};

void PrintTo(const RoleCase& c, std::ostream* os) {
  *os << auth::RoleName(c.role) << " at " << c.tier;
}

class RoleTableTest : public ::testing::TestWithParam<RoleCase> {};

TEST_P(RoleTableTest, RoleMayDoWhatTheRoleTableSays) {
  const RoleCase& c = GetParam();
  const Principal p = Make(c.role, c.tier);
  const v1::Building b = InCommunity();
  EXPECT_EQ(CanRead(p, b).ok(), c.read) << CanRead(p, b);
  EXPECT_EQ(CanEdit(p, b.tier_path()).ok(), c.edit);
  EXPECT_EQ(CanSetFacility(p, b).ok(), c.facility);
  EXPECT_EQ(CanManageArea(p, b.tier_path(), "file").ok(), c.manage_area);
}

INSTANTIATE_TEST_SUITE_P(
    Roles, RoleTableTest,
    ::testing::Values(RoleCase{Role::kDistrictAdmin, "500109", true, true, true, true},
                      RoleCase{Role::kStreetOfficer, "500109001", true, true, true, true},
                      RoleCase{Role::kCommunityWorker, kCommunity, true, true, true, false},
                      RoleCase{Role::kDepartmentOfficer, "500109", true, false, true, false},
                      RoleCase{Role::kInternalService, "", true, false, false, false},
                      RoleCase{Role::kServiceAgency, "500109", false, false, false, false},
                      RoleCase{Role::kBuildingManager, "", false, false, false, false}),
    [](const ::testing::TestParamInfo<RoleCase>& info) {
      return std::string(auth::RoleName(info.param.role));
    });

TEST(Access, CommunityWorkerOfAnotherCommunityIsDenied) {
  const Principal p = Make(Role::kCommunityWorker, "500109001002");
  EXPECT_EQ(CanRead(p, InCommunity()).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CanEdit(p, kCommunity).code(), absl::StatusCode::kPermissionDenied);
}

TEST(Access, BuildingManagerNamedInTheChainMayReadAndRecordFacilities) {
  const Principal p = Make(Role::kBuildingManager, "", "mgr-7");
  v1::Building b = InCommunity();
  EXPECT_FALSE(NamesPrincipal(b, p));
  b.mutable_responsibility()->mutable_chain()->mutable_building_head()->set_subject("mgr-7");
  EXPECT_TRUE(NamesPrincipal(b, p));
  EXPECT_TRUE(CanRead(p, b).ok());
  EXPECT_TRUE(CanSetFacility(p, b).ok());
  EXPECT_FALSE(CanEdit(p, b.tier_path()).ok());
}

TEST(Access, DeniedNamesTheRoleAndTheAction) {
  const auto s = Denied(Make(Role::kServiceAgency, "500109"), "read buildings");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "role service_agency may not read buildings");
}

}  // namespace
}  // namespace firegrid::buildings
