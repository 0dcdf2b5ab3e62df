#include "services/buildings/access.h"

#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/subjects/party.h"

namespace firegrid::buildings {

using auth::Role;

absl::Status Denied(const auth::Principal& p, absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("role ", auth::RoleName(p.role), " may not ", what));
}

// The building's chain names this principal (building managers see their own buildings).
bool NamesPrincipal(const v1::Building& b, const auth::Principal& p) {
  if (p.subject.empty()) return false;
  const auto& c = b.responsibility().chain();
  return c.responsible_person().subject() == p.subject || c.manager().subject() == p.subject ||
         c.building_head().subject() == p.subject;
}

absl::Status CanRead(const auth::Principal& p, const v1::Building& b) {
  if (p.role == Role::kBuildingManager) {
    if (NamesPrincipal(b, p)) return absl::OkStatus();
    return absl::PermissionDeniedError("building manager is not named by this building");
  }
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "read buildings");
  }
  return auth::RequireTier(p, b.tier_path());
}

absl::Status CanEdit(const auth::Principal& p, absl::string_view tier_path) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker})) {
    return Denied(p, "change buildings");
  }
  return auth::RequireTier(p, tier_path);
}

absl::Status CanSetFacility(const auth::Principal& p, const v1::Building& b) {
  if (p.role == Role::kBuildingManager) {
    if (NamesPrincipal(b, p)) return absl::OkStatus();
    return absl::PermissionDeniedError("building manager is not named by this building");
  }
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer})) {
    return Denied(p, "record facility status");
  }
  return auth::RequireTier(p, b.tier_path());
}

absl::Status CanManageArea(const auth::Principal& p, absl::string_view tier_path,
                           absl::string_view what) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer})) return Denied(p, what);
  return auth::RequireTier(p, tier_path);
}

bool SeesPersonIds(const auth::Principal& p) {
  return auth::HasRole(p, {Role::kDistrictAdmin, Role::kInternalService});
}

void RedactForCaller(const auth::Principal& p, v1::Building* b) {
  if (SeesPersonIds(p)) return;
  for (auto& party : *b->mutable_parties()) subjects::MaskParty(&party);
}

absl::Status CanFindNearby(const auth::Principal& p, v1::NearbyKind kind) {
  if (kind == v1::NEARBY_KIND_BUILDING) {
    if (auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                          Role::kDepartmentOfficer, Role::kInternalService, Role::kBuildingManager,
                          Role::kPublicChannel})) {
      return absl::OkStatus();
    }
    return Denied(p, "search buildings nearby");
  }
  if (auth::HasRole(p, {Role::kServiceAgency, Role::kPublicChannel})) {
    return Denied(p, "search hydrants and stations");
  }
  return absl::OkStatus();
}

bool ShowsInNearby(const auth::Principal& p, const v1::Building& b) {
  if (p.role == Role::kPublicChannel) return auth::CoversTierPath(p, b.tier_path());
  return CanRead(p, b).ok();
}

std::string PageToken(const std::string& cursor) { return cursor; }

}  // namespace firegrid::buildings
