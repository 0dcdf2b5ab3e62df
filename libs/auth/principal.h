#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::auth {

// Who may call a firegrid RPC. The wire names (RoleName) are the `role` claim of a token.
enum class Role {
  kUnspecified,        // never valid in a token
  kDistrictAdmin,      // district tier: everything under the district's code
  kDepartmentOfficer,  // an industry department: what the routing rules send to it
  kStreetOfficer,      // street / town tier
  kCommunityWorker,    // community / village tier (grid worker)
  kBuildingManager,    // the filed manager of some buildings
  kServiceAgency,      // third-party fire technical service agency
  kInternalService,    // another firegrid service; covers every tier
  kMicroStation,       // the duty staff of a micro fire station (微型消防站值班员)
  kIotGateway,         // an IoT gateway or device publishing signals (subject: the gateway id)
  kPublicChannel,      // a public reporting channel through Open311 (subject "channel:<name>")
};

// "district_admin", "department_officer", "street_officer", "community_worker",
// "building_manager", "service_agency", "internal_service", "micro_station", "iot_gateway",
// "public_channel";
// "unspecified" for kUnspecified.
absl::string_view RoleName(Role role);

// The inverse of RoleName for the ten real roles. INVALID_ARGUMENT for anything else,
// including "unspecified" and the empty string. Matching is exact (case-sensitive).
absl::StatusOr<Role> ParseRole(absl::string_view name);

// The authenticated caller, as read from a verified token.
struct Principal {
  std::string subject;  // `sub`: stable user or service id
  Role role = Role::kUnspecified;
  std::string org_unit;    // `org_unit`: the org unit the caller acts for (may be empty)
  std::string tier_path;   // `tier_path`: administrative-division code prefix of its jurisdiction
  std::string department;  // `department`: industry department code, for department officers
  absl::Time expiry = absl::InfinitePast();  // `exp`
};

}  // namespace firegrid::auth
