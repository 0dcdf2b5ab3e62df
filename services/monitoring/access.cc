#include "services/monitoring/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"

namespace firegrid::monitoring {
namespace {

using auth::Role;

constexpr absl::string_view kFireRescue = "fire_rescue";

bool NamedBy(const auth::Principal& p, const v1::BuildingView& b) {
  return !p.subject.empty() &&
         std::find(b.subjects().begin(), b.subjects().end(), p.subject) != b.subjects().end();
}

absl::Status Denied(const auth::Principal& p, absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("role ", auth::RoleName(p.role), " may not ", what));
}

}  // namespace

absl::Status MayRead(const auth::Principal& p, const v1::BuildingView& b) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
    case Role::kMicroStation:
      return auth::RequireTier(p, b.tier_path());
    case Role::kBuildingManager:
      if (NamedBy(p, b)) return absl::OkStatus();
      return absl::PermissionDeniedError("the building does not name you");
    default:
      return Denied(p, "read monitoring data");
  }
}

absl::Status MayManageDevices(const auth::Principal& p, const v1::BuildingView& b) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
      return auth::RequireTier(p, b.tier_path());
    case Role::kBuildingManager:
      if (NamedBy(p, b)) return absl::OkStatus();
      return absl::PermissionDeniedError("the building does not name you");
    default:
      return Denied(p, "register or change devices");
  }
}

absl::Status MayImportDevices(const auth::Principal& p) {
  switch (p.role) {
    case Role::kInternalService:
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kBuildingManager:
      return absl::OkStatus();
    default:
      return Denied(p, "import devices");
  }
}

absl::Status MayAcknowledge(const auth::Principal& p, const v1::BuildingView& b) {
  return MayRead(p, b);
}

absl::Status MayClear(const auth::Principal& p, const v1::BuildingView& b) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
      return auth::RequireTier(p, b.tier_path());
    case Role::kDepartmentOfficer:
      if (p.department != kFireRescue) return Denied(p, "clear alarms (fire rescue only)");
      return auth::RequireTier(p, b.tier_path());
    default:
      return Denied(p, "clear alarms");
  }
}

absl::Status MayListTier(const auth::Principal& p, const std::string& tier_prefix) {
  switch (p.role) {
    case Role::kInternalService:
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
    case Role::kMicroStation:
      return auth::RequireTier(p, tier_prefix);
    default:
      return Denied(p, "list monitoring data by area (list a building's instead)");
  }
}

}  // namespace firegrid::monitoring
