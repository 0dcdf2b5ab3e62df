#include "libs/auth/claims.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;

Principal Claims(Role role, std::string tier, std::string org = "", std::string dept = "") {
  Principal p;
  p.subject = role == Role::kPublicChannel ? "channel:wechat" : "u-1";
  p.role = role;
  p.tier_path = std::move(tier);
  p.org_unit = std::move(org);
  p.department = std::move(dept);
  return p;
}

struct Case {
  std::string name;
  Principal claims;
  std::string want_org_unit;  // accepted cases: the org unit the caller acts for
  std::string want_reason;    // rejected cases: a part of the UNAUTHENTICATED message
};

std::vector<Case> Accepted() {
  return {
      {"DistrictAdminAtDistrict", Claims(Role::kDistrictAdmin, "500109"), "500109", ""},
      {"DistrictAdminWithItsDistrictAsOrgUnit", Claims(Role::kDistrictAdmin, "500109", "500109"),
       "500109", ""},
      {"StreetOfficerAtStreet", Claims(Role::kStreetOfficer, "500109001"), "500109001", ""},
      {"CommunityWorkerAtCommunity", Claims(Role::kCommunityWorker, "500109001002", "500109001002"),
       "500109001002", ""},
      {"DepartmentOfficerDerivesItsDepartmentUnit",
       Claims(Role::kDepartmentOfficer, "500109", "", "fire_rescue"), "500109.fire_rescue", ""},
      {"DepartmentOfficerWithItsDepartmentUnit",
       Claims(Role::kDepartmentOfficer, "500109", "500109.gas", "gas"), "500109.gas", ""},
      {"BuildingManagerWithoutTier", Claims(Role::kBuildingManager, ""), "", ""},
      {"BuildingManagerWithACommunityTier", Claims(Role::kBuildingManager, "500109001002"), "", ""},
      {"ServiceAgencyAtDistrict", Claims(Role::kServiceAgency, "500109"), "", ""},
      {"InternalServiceWithoutTier", Claims(Role::kInternalService, ""), "", ""},
      {"MicroStationAtItsCommunity", Claims(Role::kMicroStation, "500109001002", "mfs_01JABCDEF"),
       "mfs_01JABCDEF", ""},
      {"MicroStationAtItsStreet", Claims(Role::kMicroStation, "500109001", "mfs_7"), "mfs_7", ""},
      {"IotGatewayKnownBySubject", Claims(Role::kIotGateway, ""), "", ""},
      {"PublicChannelOfADistrict", Claims(Role::kPublicChannel, "500109"), "", ""},
  };
}

std::vector<Case> Rejected() {
  return {
      {"CommunityWorkerWithOneDigitTier", Claims(Role::kCommunityWorker, "5"), "",
       "tier_path is not a division code"},
      {"CommunityWorkerWithDistrictTier", Claims(Role::kCommunityWorker, "500109"), "",
       "needs a community/village tier_path"},
      {"CommunityWorkerWithStreetTier", Claims(Role::kCommunityWorker, "500109001"), "",
       "needs a community/village tier_path"},
      {"CommunityWorkerWithoutTier", Claims(Role::kCommunityWorker, ""), "",
       "needs a community/village tier_path"},
      {"CommunityWorkerActingForADepartment",
       Claims(Role::kCommunityWorker, "500109001002", "500109.fire_rescue"), "",
       "org_unit is not its tier_path"},
      {"CommunityWorkerActingForItsStreet",
       Claims(Role::kCommunityWorker, "500109001002", "500109001"), "",
       "org_unit is not its tier_path"},
      {"CommunityWorkerWithADepartment",
       Claims(Role::kCommunityWorker, "500109001002", "", "fire_rescue"), "",
       "may not carry a department claim"},
      {"StreetOfficerWithDistrictTier", Claims(Role::kStreetOfficer, "500109"), "",
       "needs a street/town tier_path"},
      {"DistrictAdminWithStreetTier", Claims(Role::kDistrictAdmin, "500109001"), "",
       "needs a district tier_path"},
      {"DistrictAdminForAnotherDistrict", Claims(Role::kDistrictAdmin, "500109", "500110"), "",
       "org_unit is not its tier_path"},
      {"TierWithLetters", Claims(Role::kDistrictAdmin, "50010x"), "",
       "tier_path is not a division code"},
      {"DepartmentOfficerAtStreet",
       Claims(Role::kDepartmentOfficer, "500109001", "", "fire_rescue"), "",
       "needs a district tier_path"},
      {"DepartmentOfficerWithoutDepartment", Claims(Role::kDepartmentOfficer, "500109"), "",
       "needs a department claim"},
      {"DepartmentOfficerWithMalformedDepartment",
       Claims(Role::kDepartmentOfficer, "500109", "", "Fire.Rescue"), "",
       "needs a department claim"},
      {"DepartmentOfficerOfAnotherDepartmentsUnit",
       Claims(Role::kDepartmentOfficer, "500109", "500109.fire_rescue", "gas"), "",
       "org_unit is not <tier_path>.<department>"},
      {"DepartmentOfficerOfAnotherDistrictsUnit",
       Claims(Role::kDepartmentOfficer, "500109", "500110.gas", "gas"), "",
       "org_unit is not <tier_path>.<department>"},
      {"BuildingManagerWithAnOrgUnit", Claims(Role::kBuildingManager, "", "500109.fire_rescue"), "",
       "may not carry an org_unit claim"},
      {"ServiceAgencyWithADepartment", Claims(Role::kServiceAgency, "500109", "", "gas"), "",
       "may not carry a department claim"},
      {"InternalServiceWithMalformedTier", Claims(Role::kInternalService, "5001"), "",
       "tier_path is not a division code"},
      {"MicroStationWithoutStation", Claims(Role::kMicroStation, "500109001002"), "",
       "needs an org_unit that is a micro station id"},
      {"MicroStationActingForItsCommunity",
       Claims(Role::kMicroStation, "500109001002", "500109001002"), "",
       "needs an org_unit that is a micro station id"},
      {"MicroStationAtDistrict", Claims(Role::kMicroStation, "500109", "mfs_7"), "",
       "needs a street/town or community/village tier_path"},
      {"MicroStationWithADepartment",
       Claims(Role::kMicroStation, "500109001", "mfs_7", "fire_rescue"), "",
       "may not carry a department claim"},
      {"IotGatewayWithATier", Claims(Role::kIotGateway, "500109"), "",
       "may not carry a tier_path claim"},
      {"IotGatewayWithAnOrgUnit", Claims(Role::kIotGateway, "", "500109"), "",
       "may not carry an org_unit claim"},
      {"PublicChannelAtAStreet", Claims(Role::kPublicChannel, "500109001"), "",
       "needs a district tier_path"},
      {"PublicChannelWithAnOrgUnit", Claims(Role::kPublicChannel, "500109", "500109"), "",
       "may not carry an org_unit claim"},
      {"UnspecifiedRole", Claims(Role::kUnspecified, "500109"), "", "is not a role"},
  };
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

class ResolveCallerAccepts : public ::testing::TestWithParam<Case> {};

TEST_P(ResolveCallerAccepts, ConsistentClaims) {
  absl::StatusOr<Principal> p = ResolveCaller(GetParam().claims);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->org_unit, GetParam().want_org_unit);
  EXPECT_EQ(p->tier_path, GetParam().claims.tier_path);
  EXPECT_EQ(p->role, GetParam().claims.role);
}

INSTANTIATE_TEST_SUITE_P(Claims, ResolveCallerAccepts, ::testing::ValuesIn(Accepted()), CaseName);

class ResolveCallerRejects : public ::testing::TestWithParam<Case> {};

TEST_P(ResolveCallerRejects, InconsistentClaimsAsUnauthenticated) {
  absl::StatusOr<Principal> p = ResolveCaller(GetParam().claims);
  ASSERT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << p.status();
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("inconsistent"));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(GetParam().want_reason));
}

INSTANTIATE_TEST_SUITE_P(Claims, ResolveCallerRejects, ::testing::ValuesIn(Rejected()), CaseName);

TEST(ResolveCaller, RefusesAPublicChannelWhoseSubjectIsNotAChannel) {
  Principal p = Claims(Role::kPublicChannel, "500109");
  for (const char* subject : {"u-1", "channel:", "service:gateway"}) {
    p.subject = subject;
    absl::StatusOr<Principal> r = ResolveCaller(p);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << subject;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("channel:<name>")) << subject;
  }
}

}  // namespace
}  // namespace firegrid::auth
