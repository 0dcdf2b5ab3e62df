#include "services/monitoring/access.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

using auth::Principal;
using auth::Role;

Principal Make(Role role, std::string tier, std::string subject = "u-1", std::string dept = "",
               std::string org = "") {
  Principal p;
  p.role = role;
  p.tier_path = std::move(tier);
  p.subject = std::move(subject);
  p.department = std::move(dept);
  p.org_unit = std::move(org);
  return p;
}

v1::BuildingView Building() {
  v1::BuildingView b;
  b.set_building_id("bld_1");
  b.set_tier_path("500109001002");
  b.add_subjects("mgr-1");
  return b;
}

struct Case {
  std::string name;
  Principal principal;
  bool read, manage, clear;
};

std::vector<Case> Cases() {
  return {
      {"InternalService", Make(Role::kInternalService, ""), true, true, true},
      {"DistrictAdmin", Make(Role::kDistrictAdmin, "500109"), true, true, true},
      {"DistrictAdminOfAnotherDistrict", Make(Role::kDistrictAdmin, "500110"), false, false, false},
      {"StreetOfficer", Make(Role::kStreetOfficer, "500109001"), true, true, true},
      {"StreetOfficerOfAnotherStreet", Make(Role::kStreetOfficer, "500109002"), false, false,
       false},
      {"CommunityWorker", Make(Role::kCommunityWorker, "500109001002"), true, false, true},
      {"FireRescueOfficer", Make(Role::kDepartmentOfficer, "500109", "u-1", "fire_rescue"), true,
       false, true},
      {"OtherDepartmentOfficer", Make(Role::kDepartmentOfficer, "500109", "u-1", "gas"), true,
       false, false},
      {"ManagerNamedByTheBuilding", Make(Role::kBuildingManager, "", "mgr-1"), true, true, false},
      {"ManagerOfAnotherBuilding", Make(Role::kBuildingManager, "", "mgr-2"), false, false, false},
      {"MicroStationOfTheCommunity", Make(Role::kMicroStation, "500109001002", "s", "", "mfs_1"),
       true, false, false},
      {"MicroStationElsewhere", Make(Role::kMicroStation, "500109002001", "s", "", "mfs_2"), false,
       false, false},
      {"ServiceAgency", Make(Role::kServiceAgency, "500109"), false, false, false},
      {"IotGateway", Make(Role::kIotGateway, "", "gw-1"), false, false, false},
  };
}

class MonitoringAccess : public ::testing::TestWithParam<Case> {};

TEST_P(MonitoringAccess, ReadManageAndClearFollowTheRoleTable) {
  const Case& c = GetParam();
  const v1::BuildingView b = Building();
  EXPECT_EQ(MayRead(c.principal, b).ok(), c.read);
  EXPECT_EQ(MayAcknowledge(c.principal, b).ok(), c.read);
  EXPECT_EQ(MayManageDevices(c.principal, b).ok(), c.manage);
  EXPECT_EQ(MayClear(c.principal, b).ok(), c.clear);
  for (const absl::Status& s :
       {MayRead(c.principal, b), MayManageDevices(c.principal, b), MayClear(c.principal, b)}) {
    if (!s.ok()) EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  }
}

INSTANTIATE_TEST_SUITE_P(Roles, MonitoringAccess, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// The device import is refused outright to the roles that manage no building's devices, before
// any row (whose errors would tell which building ids exist) is looked at.
TEST(MonitoringImportAccess, OnlyRolesThatManageSomeDevicesMayImport) {
  for (const Principal& p :
       {Make(Role::kInternalService, ""), Make(Role::kDistrictAdmin, "500109"),
        Make(Role::kStreetOfficer, "500109001"), Make(Role::kBuildingManager, "", "mgr-1")}) {
    EXPECT_TRUE(MayImportDevices(p).ok()) << auth::RoleName(p.role);
  }
  for (const Principal& p :
       {Make(Role::kCommunityWorker, "500109001002"),
        Make(Role::kDepartmentOfficer, "500109", "u-1", "fire_rescue"),
        Make(Role::kMicroStation, "500109001002", "s", "", "mfs_1"),
        Make(Role::kServiceAgency, "500109"), Make(Role::kIotGateway, "", "gw-1"),
        Make(Role::kPublicChannel, "500109", "channel:web")}) {
    EXPECT_EQ(MayImportDevices(p).code(), absl::StatusCode::kPermissionDenied)
        << auth::RoleName(p.role);
  }
}

TEST(MonitoringAccess, TierListingNeedsAnAreaRoleCoveringThePrefix) {
  EXPECT_TRUE(MayListTier(Make(Role::kStreetOfficer, "500109001"), "500109001002").ok());
  EXPECT_FALSE(MayListTier(Make(Role::kStreetOfficer, "500109001"), "500109").ok());
  EXPECT_FALSE(MayListTier(Make(Role::kBuildingManager, "", "mgr-1"), "500109").ok());
  EXPECT_TRUE(MayListTier(Make(Role::kInternalService, ""), "500109").ok());
}

}  // namespace
}  // namespace firegrid::monitoring
