#pragma once

#include "absl/status/statusor.h"
#include "libs/auth/principal.h"

namespace firegrid::auth {

// Who the caller of an RPC is: the one place that turns the claims of a verified token into the
// principal every service authorises with. TokenVerifier::Verify calls it after the signature,
// time and issuer checks, so every service (through Authenticator) gets the same answer.
//
// The claims must be consistent with the role, else UNAUTHENTICATED naming the inconsistency:
//   - tier_path is an administrative-division code: digits, 6 (district), 9 (street/town) or
//     12 (community/village) long;
//   - district_admin and department_officer act at district level (6 digits), street_officer at
//     street level (9), community_worker at community level (12); each needs its tier_path;
//   - department_officer needs a `department` (a lower-case slug, e.g. "fire_rescue"); no other
//     role may carry one;
//   - org_unit, when present, is the caller's own unit: the tier path itself for the area roles,
//     "<district>.<department>" for a department officer; absent, it is derived that way;
//   - building_manager and service_agency are known by their subject (the buildings that name
//     them): tier_path empty or a division code, no org_unit, no department;
//   - internal_service covers every tier: tier_path empty or a division code, no org_unit, no
//     department;
//   - micro_station acts for one micro fire station: org_unit is the station id ("mfs_" and
//     letters, digits or '_'), tier_path the station's street or community code (9 or 12);
//   - iot_gateway is known by its subject (the gateway id its devices name): no tier_path, no
//     org_unit, no department.
absl::StatusOr<Principal> ResolveCaller(Principal claimed);

}  // namespace firegrid::auth
