#include "libs/auth/principal.h"

#include <array>
#include <utility>

#include "absl/status/status.h"

namespace firegrid::auth {
namespace {

constexpr std::array<std::pair<Role, absl::string_view>, 10> kRoleNames = {{
    {Role::kDistrictAdmin, "district_admin"},
    {Role::kDepartmentOfficer, "department_officer"},
    {Role::kStreetOfficer, "street_officer"},
    {Role::kCommunityWorker, "community_worker"},
    {Role::kBuildingManager, "building_manager"},
    {Role::kServiceAgency, "service_agency"},
    {Role::kInternalService, "internal_service"},
    {Role::kMicroStation, "micro_station"},
    {Role::kIotGateway, "iot_gateway"},
    {Role::kPublicChannel, "public_channel"},
}};

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unspecified";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& [r, n] : kRoleNames) {
    if (n == name) return r;
  }
  return absl::InvalidArgumentError("unknown role");
}

}  // namespace firegrid::auth
