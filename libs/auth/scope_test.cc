#include "libs/auth/scope.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Principal Who(Role role, std::string tier_path) {
  Principal p;
  p.subject = "u1";
  p.role = role;
  p.tier_path = std::move(tier_path);
  return p;
}

TEST(CoversTierPath, DistrictAdminCoversEverythingInItsDistrictOnly) {
  Principal admin = Who(Role::kDistrictAdmin, "500109");
  EXPECT_TRUE(CoversTierPath(admin, "500109"));
  EXPECT_TRUE(CoversTierPath(admin, "500109001"));
  EXPECT_TRUE(CoversTierPath(admin, "500109001002"));
  EXPECT_FALSE(CoversTierPath(admin, "500110001002"));
  EXPECT_FALSE(CoversTierPath(admin, "50010"));  // the parent prefix is not its district
  EXPECT_FALSE(CoversTierPath(admin, ""));
}

TEST(CoversTierPath, StreetCoversItsCommunitiesButNotItsDistrictOrSiblings) {
  Principal street = Who(Role::kStreetOfficer, "500109001");
  EXPECT_TRUE(CoversTierPath(street, "500109001002"));
  EXPECT_TRUE(CoversTierPath(street, "500109001"));
  EXPECT_FALSE(CoversTierPath(street, "500109"));
  EXPECT_FALSE(CoversTierPath(street, "500109002001"));
}

TEST(CoversTierPath, CommunityWorkerCoversOnlyItsCommunity) {
  Principal worker = Who(Role::kCommunityWorker, "500109001002");
  EXPECT_TRUE(CoversTierPath(worker, "500109001002"));
  EXPECT_FALSE(CoversTierPath(worker, "500109001003"));
  EXPECT_FALSE(CoversTierPath(worker, "500109001"));
}

TEST(CoversTierPath, EmptyTierPathCoversNothingExceptForInternalServices) {
  EXPECT_FALSE(CoversTierPath(Who(Role::kDistrictAdmin, ""), "500109001002"));
  EXPECT_FALSE(CoversTierPath(Who(Role::kBuildingManager, ""), ""));
  EXPECT_TRUE(CoversTierPath(Who(Role::kInternalService, ""), "500109001002"));
  EXPECT_TRUE(CoversTierPath(Who(Role::kInternalService, ""), ""));
  EXPECT_TRUE(CoversTierPath(Who(Role::kInternalService, "999"), "500109"));
}

TEST(RequireTier, DeniesWithoutNamingEitherTierPath) {
  EXPECT_TRUE(RequireTier(Who(Role::kStreetOfficer, "500109001"), "500109001002").ok());
  absl::Status s = RequireTier(Who(Role::kStreetOfficer, "500109001"), "500110002003");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("500109001")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("500110002003")));
}

TEST(RequireRole, AllowsListedRolesAndNamesTheRoleWhenDenying) {
  Principal street = Who(Role::kStreetOfficer, "500109001");
  EXPECT_TRUE(RequireRole(street, {Role::kDistrictAdmin, Role::kStreetOfficer}).ok());
  EXPECT_TRUE(HasRole(street, {Role::kStreetOfficer}));
  absl::Status s = RequireRole(street, {Role::kDistrictAdmin}, "close hazards");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "role street_officer may not close hazards");
  EXPECT_EQ(RequireRole(street, {}).message(),
            "role street_officer may not perform this operation");
}

TEST(RequireRole, UnspecifiedRoleIsDeniedEvenIfListed) {
  Principal nobody = Who(Role::kUnspecified, "500109");
  EXPECT_EQ(RequireRole(nobody, {Role::kUnspecified}).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::auth
