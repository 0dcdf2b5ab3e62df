#include "services/accounts/access.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/claims.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"

namespace firegrid::accounts {

using auth::Role;

absl::Status ValidateUsername(const std::string& username, absl::string_view field) {
  if (username.size() < 3 || username.size() > 64) {
    return InvalidField(field, "3 to 64 characters");
  }
  for (char c : username) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return InvalidField(field, "only a-z, 0-9, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Role> ParseHumanRole(const std::string& role) {
  if (role.empty()) return InvalidField("role", "required");
  absl::StatusOr<Role> r = auth::ParseRole(role);
  if (!r.ok()) return InvalidField("role", "not a known role");
  switch (*r) {
    case Role::kCommunityWorker:
    case Role::kStreetOfficer:
    case Role::kDistrictAdmin:
    case Role::kDepartmentOfficer:
    case Role::kBuildingManager:
    case Role::kMicroStation:
    case Role::kServiceAgency:
      return *r;
    default:
      return InvalidField("role", absl::StrCat(role, " is not a role a person holds"));
  }
}

absl::StatusOr<auth::Principal> PrincipalFor(const std::string& username, const std::string& role,
                                             const std::string& org_unit,
                                             const std::string& department) {
  absl::StatusOr<Role> r = ParseHumanRole(role);
  if (!r.ok()) return r.status();
  if (org_unit.empty()) return InvalidField("org_unit", "required");
  if (!department.empty() && *r != Role::kDepartmentOfficer) {
    return InvalidField("department", "only a department officer has a department");
  }
  auth::Principal p;
  p.subject = absl::StrCat("user:", username);
  p.role = *r;
  const size_t dot = org_unit.find('.');
  switch (*r) {
    case Role::kDepartmentOfficer:
      p.tier_path = org_unit.substr(0, dot);
      p.department = dot == std::string::npos ? department : org_unit.substr(dot + 1);
      if (!department.empty() && department != p.department) {
        return InvalidField("department", "does not match the org_unit's department");
      }
      if (p.department.empty()) {
        return InvalidField("department", "required for a department officer");
      }
      break;
    case Role::kMicroStation:
      if (dot == std::string::npos) {
        return InvalidField("org_unit",
                            "a micro station is <street or community code>.<station id>");
      }
      p.tier_path = org_unit.substr(0, dot);
      p.org_unit = org_unit.substr(dot + 1);
      break;
    case Role::kBuildingManager:
    case Role::kServiceAgency:
      p.tier_path = org_unit;
      break;
    default:
      p.tier_path = org_unit;
      p.org_unit = org_unit;
      break;
  }
  absl::StatusOr<auth::Principal> resolved = auth::ResolveCaller(std::move(p));
  if (!resolved.ok()) {
    // "token claims are inconsistent: <role> <what>" → the field the caller wrote.
    std::string what(resolved.status().message());
    absl::string_view prefix = "token claims are inconsistent: ";
    if (absl::StartsWith(what, prefix)) what = what.substr(prefix.size());
    return InvalidField(absl::StrContains(what, "department") ? "department" : "org_unit", what);
  }
  if ((*r == Role::kBuildingManager || *r == Role::kServiceAgency) && resolved->tier_path.empty()) {
    return InvalidField("org_unit", "a division code (6, 9 or 12 digits)");
  }
  return resolved;
}

void SetJurisdiction(const auth::Principal& p, v1::User* user) {
  user->set_role(std::string(auth::RoleName(p.role)));
  user->set_tier_path(p.tier_path);
  user->set_department(p.department);
  switch (p.role) {
    case Role::kMicroStation:
      user->set_org_unit(absl::StrCat(p.tier_path, ".", p.org_unit));
      break;
    case Role::kBuildingManager:
    case Role::kServiceAgency:
      user->set_org_unit(p.tier_path);
      break;
    default:
      user->set_org_unit(p.org_unit);
      break;
  }
}

absl::Status MayManageUsers(const auth::Principal& caller) {
  return auth::RequireRole(caller, {Role::kDistrictAdmin, Role::kInternalService},
                           "manage user accounts");
}

absl::Status MayManageUser(const auth::Principal& caller, const std::string& user_tier_path) {
  if (absl::Status s = MayManageUsers(caller); !s.ok()) return s;
  return auth::RequireTier(caller, user_tier_path);
}

}  // namespace firegrid::accounts
