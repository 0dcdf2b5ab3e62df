#pragma once

#include <initializer_list>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/auth/principal.h"

namespace firegrid::auth {

// Tier scoping. A tier path is an administrative-division code prefix: district "500109",
// street/town "500109001", community/village "500109001002". An object (building, hazard...)
// carries the tier path of where it is; a principal carries the tier path of its jurisdiction.
//
// These are building blocks; object-level checks (a department sees what is routed to it, a
// building manager its buildings) stay in the services.

// True iff the principal may see objects at `object_tier_path`: internal_service covers
// everything; anyone else iff its tier_path is non-empty and a prefix of the object's.
bool CoversTierPath(const Principal& principal, absl::string_view object_tier_path);

// OK when CoversTierPath; PERMISSION_DENIED otherwise. The message names neither tier path, so
// a caller cannot learn where an object it may not see is.
absl::Status RequireTier(const Principal& principal, absl::string_view object_tier_path);

bool HasRole(const Principal& principal, std::initializer_list<Role> allowed);

// OK when the principal's role is one of `allowed`; otherwise PERMISSION_DENIED
// "role <name> may not <action>", e.g. RequireRole(p, {Role::kDistrictAdmin}, "close hazards").
absl::Status RequireRole(const Principal& principal, std::initializer_list<Role> allowed,
                         absl::string_view action = "perform this operation");

}  // namespace firegrid::auth
