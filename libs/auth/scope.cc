#include "libs/auth/scope.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace firegrid::auth {

bool CoversTierPath(const Principal& principal, absl::string_view object_tier_path) {
  if (principal.role == Role::kInternalService) return true;
  if (principal.tier_path.empty()) return false;
  return absl::StartsWith(object_tier_path, principal.tier_path);
}

absl::Status RequireTier(const Principal& principal, absl::string_view object_tier_path) {
  if (CoversTierPath(principal, object_tier_path)) return absl::OkStatus();
  return absl::PermissionDeniedError("outside the caller's jurisdiction");
}

bool HasRole(const Principal& principal, std::initializer_list<Role> allowed) {
  for (Role r : allowed) {
    if (r == principal.role) return true;
  }
  return false;
}

absl::Status RequireRole(const Principal& principal, std::initializer_list<Role> allowed,
                         absl::string_view action) {
  if (principal.role != Role::kUnspecified && HasRole(principal, allowed)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleName(principal.role), " may not ", action));
}

}  // namespace firegrid::auth
