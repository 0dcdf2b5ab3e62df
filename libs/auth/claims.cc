#include "libs/auth/claims.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace firegrid::auth {
namespace {

constexpr size_t kDistrictLength = 6;
constexpr size_t kStreetLength = 9;
constexpr size_t kCommunityLength = 12;
constexpr size_t kMaxDepartmentLength = 64;

absl::Status Inconsistent(const Principal& p, absl::string_view what) {
  return absl::UnauthenticatedError(
      absl::StrCat("token claims are inconsistent: ", RoleName(p.role), " ", what));
}

bool IsDivisionCode(absl::string_view code) {
  if (code.size() != kDistrictLength && code.size() != kStreetLength &&
      code.size() != kCommunityLength) {
    return false;
  }
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsDepartmentSlug(absl::string_view d) {
  if (d.empty() || d.size() > kMaxDepartmentLength) return false;
  if (!absl::ascii_islower(static_cast<unsigned char>(d[0]))) return false;
  for (char c : d) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

// A micro fire station id as the buildings registry assigns them: "mfs_" then letters, digits.
bool IsStationId(absl::string_view id) {
  if (id.size() <= 4 || id.size() > 64 || id.substr(0, 4) != "mfs_") return false;
  for (char c : id.substr(4)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The tier level the role acts at (0: any level or none).
size_t TierLength(Role role) {
  switch (role) {
    case Role::kDistrictAdmin:
    case Role::kDepartmentOfficer:
      return kDistrictLength;
    case Role::kStreetOfficer:
      return kStreetLength;
    case Role::kCommunityWorker:
      return kCommunityLength;
    default:
      return 0;
  }
}

absl::string_view LevelName(size_t length) {
  switch (length) {
    case kDistrictLength:
      return "district";
    case kStreetLength:
      return "street/town";
    default:
      return "community/village";
  }
}

}  // namespace

absl::StatusOr<Principal> ResolveCaller(Principal p) {
  if (p.role == Role::kUnspecified) return Inconsistent(p, "is not a role");
  if (!p.tier_path.empty() && !IsDivisionCode(p.tier_path)) {
    return Inconsistent(p, "tier_path is not a division code (6, 9 or 12 digits)");
  }
  if (p.role != Role::kDepartmentOfficer && !p.department.empty()) {
    return Inconsistent(p, "may not carry a department claim");
  }

  if (p.role == Role::kMicroStation) {
    if (!IsStationId(p.org_unit)) {
      return Inconsistent(p, "needs an org_unit that is a micro station id (mfs_...)");
    }
    if (p.tier_path.size() != kStreetLength && p.tier_path.size() != kCommunityLength) {
      return Inconsistent(p, "needs a street/town or community/village tier_path");
    }
    return p;
  }
  if (p.role == Role::kIotGateway) {
    if (!p.org_unit.empty()) return Inconsistent(p, "may not carry an org_unit claim");
    if (!p.tier_path.empty()) return Inconsistent(p, "may not carry a tier_path claim");
    return p;
  }

  if (p.role == Role::kPublicChannel) {
    // The channel reports hazards of one district (its jurisdiction), as "channel:<name>".
    if (!absl::StartsWith(p.subject, "channel:") || p.subject.size() == 8) {
      return Inconsistent(p, "needs a subject channel:<name>");
    }
    if (!p.org_unit.empty()) return Inconsistent(p, "may not carry an org_unit claim");
    if (p.tier_path.size() != kDistrictLength) {
      return Inconsistent(p, "needs a district tier_path (6 digits)");
    }
    return p;
  }

  const size_t level = TierLength(p.role);
  if (level == 0) {
    // Known by subject (building managers, agencies) or covering every tier (services).
    if (!p.org_unit.empty()) return Inconsistent(p, "may not carry an org_unit claim");
    return p;
  }
  if (p.tier_path.size() != level) {
    return Inconsistent(
        p, absl::StrCat("needs a ", LevelName(level), " tier_path (", level, " digits)"));
  }
  std::string own_unit = p.tier_path;
  if (p.role == Role::kDepartmentOfficer) {
    if (!IsDepartmentSlug(p.department)) {
      return Inconsistent(p, "needs a department claim (a lower-case department id)");
    }
    own_unit = absl::StrCat(p.tier_path, ".", p.department);
  }
  if (p.org_unit.empty()) {
    p.org_unit = std::move(own_unit);
  } else if (p.org_unit != own_unit) {
    return Inconsistent(p, p.role == Role::kDepartmentOfficer
                               ? "org_unit is not <tier_path>.<department>"
                               : "org_unit is not its tier_path");
  }
  return p;
}

}  // namespace firegrid::auth
