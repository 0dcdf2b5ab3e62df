#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::kScanChunk;
using internal::Ts;

absl::StatusOr<v1::OrgUnit> Registry::UpsertOrgUnit(const P& p,
                                                    const v1::UpsertOrgUnitRequest& req) {
  if (p.role != Role::kDistrictAdmin && p.role != Role::kInternalService) {
    return Denied(p, "manage org units");
  }
  v1::OrgUnit unit = req.org_unit();
  FG_RETURN_IF_ERROR(ValidateOrgUnitShape(unit));
  if (unit.kind() == v1::ORG_UNIT_KIND_DISTRICT) {
    unit.set_tier_path(unit.code());
  } else {
    auto parent = store_->GetOrgUnit(unit.parent_code());
    if (parent.status().code() == absl::StatusCode::kNotFound) {
      return InvalidField("org_unit.parent_code",
                          absl::StrCat("no org unit ", unit.parent_code(), "; create it first"));
    }
    FG_RETURN_IF_ERROR(parent.status());
    if (!IsDivisionCode(parent->code())) {
      return InvalidField("org_unit.parent_code",
                          "must be an area unit (district/street/community)");
    }
    unit.set_tier_path(IsDivisionCode(unit.code()) ? unit.code() : parent->tier_path());
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, unit.tier_path()));
  FG_RETURN_IF_ERROR(store_->PutOrgUnit(unit));
  return unit;
}

absl::StatusOr<v1::OrgUnit> Registry::GetOrgUnit(const P& p, const v1::GetOrgUnitRequest& req) {
  // As ListOrgUnits: building managers and agencies are known by subject; the tier path their
  // tokens carry (their area) opens no org units to them.
  if (p.role == Role::kBuildingManager || p.role == Role::kServiceAgency) {
    return Denied(p, "read org units");
  }
  if (req.code().empty() || req.code().size() > 100) return InvalidField("code", "is required");
  FG_ASSIGN_OR_RETURN(v1::OrgUnit unit, store_->GetOrgUnit(req.code()));
  // Anyone may see the units above it (its street, its district) and those it covers.
  const bool ancestor = !p.tier_path.empty() && IsDivisionCode(unit.code()) &&
                        absl::StartsWith(p.tier_path, unit.code());
  if (!ancestor && !auth::CoversTierPath(p, unit.tier_path())) {
    return absl::PermissionDeniedError("org unit outside the caller's tier");
  }
  return unit;
}

absl::StatusOr<v1::ListOrgUnitsResponse> Registry::ListOrgUnits(
    const P& p, const v1::ListOrgUnitsRequest& req) {
  if (p.role == Role::kBuildingManager || p.role == Role::kServiceAgency) {
    return Denied(p, "list org units");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path_prefix(), "tier_path_prefix"));
  if (req.page_size() < 0 || req.page_size() > 1000) {
    return InvalidField("page_size", "must be in [0, 1000]");
  }
  const std::string listing = absl::StrCat("org_units\n", scope, "\n", req.kind());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  const int size = req.page_size() == 0 ? 100 : req.page_size();
  v1::ListOrgUnitsResponse resp;
  while (true) {
    std::string next;
    FG_ASSIGN_OR_RETURN(auto units, store_->ListOrgUnits(scope, cursor, kScanChunk, &next));
    bool full = false;
    for (size_t i = 0; i < units.size(); ++i) {
      cursor = units[i].tier_path() + "|" + units[i].code();
      if (req.kind() != v1::ORG_UNIT_KIND_UNSPECIFIED && units[i].kind() != req.kind()) continue;
      *resp.add_org_units() = units[i];
      if (resp.org_units_size() == size) {
        full = true;
        if (i + 1 < units.size() || !next.empty())
          resp.set_next_page_token(EncodePageToken(listing, cursor));
        break;
      }
    }
    if (full || next.empty()) break;
    cursor = next;
  }
  return resp;
}

}  // namespace firegrid::buildings
