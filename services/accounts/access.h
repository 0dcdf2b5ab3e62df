#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "firegrid/accounts/v1/accounts.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::accounts {

// The accounts service's rules of who may hold what and who may manage whom (one home).

// A user name: 3–64 of [a-z0-9._-]. INVALID_ARGUMENT "<field>: ..." otherwise.
absl::Status ValidateUsername(const std::string& username, absl::string_view field = "username");

// The roles a person may hold (the others are systems): community_worker, street_officer,
// district_admin, department_officer, building_manager, micro_station, service_agency.
// INVALID_ARGUMENT "role: ..." for anything else.
absl::StatusOr<auth::Role> ParseHumanRole(const std::string& role);

// The principal a user with this role and jurisdiction signs in as, checked by
// auth::ResolveCaller (the one home of the claim rules). The jurisdiction is written in
// `org_unit` as:
//   district_admin, street_officer, community_worker: the division code (6, 9, 12 digits);
//   department_officer: "<district>.<department>", or the district with `department` set;
//   micro_station: "<street or community code>.<station id>" (e.g. "500109001.mfs_3");
//   building_manager, service_agency: the division code of their area (their tokens carry it
//   as tier_path; they are known by subject).
// `department` may only be given for a department officer (and must match org_unit's).
// INVALID_ARGUMENT naming the field (role, org_unit, department) otherwise.
absl::StatusOr<auth::Principal> PrincipalFor(const std::string& username, const std::string& role,
                                             const std::string& org_unit,
                                             const std::string& department);

// Writes the jurisdiction of `p` into the user: org_unit in the form above, department,
// tier_path.
void SetJurisdiction(const auth::Principal& p, v1::User* user);

// Who may create, read, list, change, disable and reset users: district admins (users whose
// tier_path is within their district: a department's "<district>.<slug>" is in its district),
// internal services (anyone). PERMISSION_DENIED otherwise.
absl::Status MayManageUsers(const auth::Principal& caller);
absl::Status MayManageUser(const auth::Principal& caller, const std::string& user_tier_path);

}  // namespace firegrid::accounts
