#include "services/buildings/access.h"

#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "libs/subjects/personal_data.h"

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

void RedactChain(const auth::Principal& p, v1::ResponsibilityChain* c) {
  if (p.role == Role::kInternalService) return;
  for (v1::Person* person :
       {c->mutable_responsible_person(), c->mutable_manager(), c->mutable_building_head()}) {
    if (!person->phone().empty()) person->set_phone(subjects::MaskPhone(person->phone()));
  }
}

void RedactForCaller(const auth::Principal& p, v1::Building* b) {
  if (p.role == Role::kInternalService) return;
  for (auto& party : *b->mutable_parties()) subjects::MaskParty(&party);
  if (b->has_responsibility()) RedactChain(p, b->mutable_responsibility()->mutable_chain());
}

absl::StatusOr<Reveal> CanReveal(const auth::Principal& p, const v1::Building& b) {
  Reveal r;
  if (p.role == Role::kBuildingManager) {
    if (!NamesPrincipal(b, p)) return Denied(p, "reveal personal data of this building");
    r.phones = true;
    return r;
  }
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker})) {
    return Denied(p, "reveal personal data (reveal_personal_data)");
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, b.tier_path()));
  r.phones = true;
  r.person_ids = p.role == Role::kDistrictAdmin;
  return r;
}

std::vector<std::string> ApplyReveal(const Reveal& r, const v1::Building& stored,
                                     v1::Building* shown) {
  std::vector<std::string> fields;
  if (r.phones) {
    const v1::ResponsibilityChain& from = stored.responsibility().chain();
    v1::ResponsibilityChain* to = shown->mutable_responsibility()->mutable_chain();
    const struct {
      const char* name;
      const v1::Person& from;
      v1::Person* to;
    } people[] = {
        {"responsible_person", from.responsible_person(), to->mutable_responsible_person()},
        {"manager", from.manager(), to->mutable_manager()},
        {"building_head", from.building_head(), to->mutable_building_head()}};
    for (const auto& person : people) {
      if (person.from.phone().empty()) continue;
      person.to->set_phone(person.from.phone());
      fields.push_back(absl::StrCat("responsibility.chain.", person.name, ".phone"));
    }
  }
  if (r.person_ids) {
    bool any = false;
    for (int i = 0; i < stored.parties_size() && i < shown->parties_size(); ++i) {
      if (stored.parties(i).person_id().empty()) continue;
      shown->mutable_parties(i)->set_person_id(stored.parties(i).person_id());
      any = true;
    }
    if (any) fields.push_back("parties.person_id");
  }
  return fields;
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
