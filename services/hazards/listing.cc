#include "services/hazards/listing.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "services/hazards/lifecycle.h"
#include "services/hazards/timestamps.h"
#include "services/hazards/validation.h"

namespace firegrid::hazards {

using auth::Role;

absl::StatusOr<ListScope> ResolveListScope(const auth::Principal& p,
                                           const v1::ListHazardsRequest& req, const Rules& rules) {
  // Only the roles that may see some hazard (CanSee, lifecycle.h) list them: service agencies,
  // micro stations and IoT gateways see none.
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kBuildingManager, Role::kPublicChannel,
                         Role::kInternalService})) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role), " may not list hazards"));
  }
  ListScope scope;
  scope.tier_prefix = req.tier_path_prefix().empty() ? p.tier_path : req.tier_path_prefix();
  for (char c : scope.tier_prefix) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return InvalidField("tier_path_prefix", "must be a division-code prefix (digits)");
    }
  }
  if (p.role != Role::kBuildingManager) FG_RETURN_IF_ERROR(auth::RequireTier(p, scope.tier_prefix));
  scope.department = req.department();
  if (p.role == Role::kDepartmentOfficer) {
    if (!scope.department.empty() && scope.department != p.department) {
      return absl::PermissionDeniedError("department officers list their own department's hazards");
    }
    scope.department = p.department;
  }
  if (!scope.department.empty() && !rules.IsDepartment(scope.department)) {
    return InvalidField("department", absl::StrCat("unknown department '", scope.department, "'"));
  }
  if (req.page_size() < 0 || req.page_size() > 500) {
    return InvalidField("page_size", "must be in [0, 500]");
  }
  for (int s : req.statuses()) {
    if (s == 0 || !v1::Status_IsValid(s)) return InvalidField("statuses", "unknown status");
  }
  for (int c : req.categories()) {
    if (!ValidCategory(c)) return InvalidField("categories", "unknown category");
  }
  for (int s : req.sources()) {
    if (s == 0 || !v1::Source_IsValid(s)) return InvalidField("sources", "unknown source");
  }
  if (!req.channel().empty()) FG_RETURN_IF_ERROR(ValidateChannelName(req.channel(), "channel"));
  auto valid_time = [](const google::protobuf::Timestamp& t) {
    return t.seconds() >= 0 &&
           t.seconds() <= google::protobuf::util::TimeUtil::kTimestampMaxSeconds &&
           t.nanos() >= 0 && t.nanos() <= 999'999'999;
  };
  if (req.has_reported_after() && !valid_time(req.reported_after())) {
    return InvalidField("reported_after", "is not a valid time");
  }
  if (req.has_reported_before() && !valid_time(req.reported_before())) {
    return InvalidField("reported_before", "is not a valid time");
  }
  if (req.has_reported_after() && req.has_reported_before() &&
      FromTs(req.reported_before()) <= FromTs(req.reported_after())) {
    return InvalidField("reported_before", "must be later than reported_after");
  }
  return scope;
}

std::string ListingKey(const ListScope& scope, const v1::ListHazardsRequest& req) {
  v1::ListHazardsRequest filters = req;
  filters.clear_page_token();
  filters.clear_page_size();
  filters.clear_tier_path_prefix();
  filters.clear_department();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    filters.SerializeToCodedStream(&out);
  }
  return absl::StrCat("hazards\n", scope.tier_prefix, "\n", scope.department, "\n", bytes);
}

bool MatchesListing(const auth::Principal& p, const v1::ListHazardsRequest& req,
                    const v1::Hazard& h, absl::Time now) {
  if (!CanSee(p, h).ok()) return false;
  if (!req.include_duplicates() && !h.duplicate_of().empty()) return false;
  if (!req.building_id().empty() && h.building_id() != req.building_id()) return false;
  if (!req.statuses().empty() &&
      std::find(req.statuses().begin(), req.statuses().end(), h.status()) == req.statuses().end()) {
    return false;
  }
  if (!req.categories().empty() && std::find(req.categories().begin(), req.categories().end(),
                                             h.category()) == req.categories().end()) {
    return false;
  }
  if (req.has_overdue()) {
    const bool overdue = IsActive(h.status()) && h.assignment().has_deadline() &&
                         FromTs(h.assignment().deadline()) < now;
    if (overdue != req.overdue()) return false;
  }
  if (!req.sources().empty() &&
      std::find(req.sources().begin(), req.sources().end(), h.source()) == req.sources().end()) {
    return false;
  }
  if (req.unmatched_only() && !h.unmatched()) return false;
  if (!req.channel().empty() && h.channel() != req.channel()) return false;
  if (req.has_reported_after() && FromTs(h.reported_at()) < FromTs(req.reported_after())) {
    return false;
  }
  if (req.has_reported_before() && FromTs(h.reported_at()) >= FromTs(req.reported_before())) {
    return false;
  }
  return true;
}

int ListScanChunk(int page_size, int round) {
  int64_t chunk = std::max(page_size, 1);
  for (int r = 0; r < round && chunk < kMaxListScanChunk; ++r) chunk *= 2;
  return static_cast<int>(std::min<int64_t>(chunk, kMaxListScanChunk));
}

}  // namespace firegrid::hazards
