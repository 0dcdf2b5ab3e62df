#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/list_filter.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::kScanChunk;
using internal::Ts;

namespace {

// The listing a ListBuildings page token is bound to: the scope and every filter.
std::string BuildingListing(const std::string& scope, const v1::ListBuildingsRequest& req) {
  v1::ListBuildingsRequest filters = req;
  filters.clear_tier_path_prefix();
  filters.clear_page_size();
  filters.clear_page_token();
  return absl::StrCat("buildings\n", scope, "\n", filters.SerializeAsString());
}

}  // namespace

absl::StatusOr<v1::Building> Registry::CreateBuilding(const P& p,
                                                      const v1::CreateBuildingRequest& req) {
  const absl::Time now = clock_->Now();
  FG_RETURN_IF_ERROR(ValidateText(req.request_id(), "request_id", false, 128));
  v1::Building in = req.building();
  FG_RETURN_IF_ERROR(RejectServerOwnedFields(in, "building."));
  FG_RETURN_IF_ERROR(ValidateBuildingFields(in, "building.", now));
  FG_RETURN_IF_ERROR(NormalizeAndValidateParties(in.mutable_parties(), "building."));
  FG_RETURN_IF_ERROR(CanEdit(p, in.tier_path()));
  if (!req.request_id().empty()) {
    auto existing = store_->BuildingForRequest(req.request_id());
    if (existing.ok()) return ForCaller(p, Load(*existing));
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  }
  FG_RETURN_IF_ERROR(CheckTierExists(in.tier_path(), "building.tier_path"));

  v1::Building b = std::move(in);
  b.set_building_id(ids_->NewId("bld"));
  *b.mutable_created_at() = Ts(now);
  Derive(&b, now);
  v1::BuildingRegistered payload;
  *payload.mutable_building() = b;
  absl::Status s = store_->CreateBuildings({b}, {req.request_id()}, {Event(payload, b, now)});
  if (s.code() == absl::StatusCode::kAlreadyExists && !req.request_id().empty()) {
    // A concurrent retry with the same request id won; answer as it did.
    FG_ASSIGN_OR_RETURN(std::string id, store_->BuildingForRequest(req.request_id()));
    return ForCaller(p, Load(id));
  }
  FG_RETURN_IF_ERROR(s);
  log::Info(
      "building registered",
      {{"building_id", b.building_id()}, {"tier_path", b.tier_path()}, {"subject", p.subject}});
  Decorate(&b);
  RedactForCaller(p, &b);
  return b;
}

absl::StatusOr<v1::Building> Registry::GetBuilding(const P& p, const v1::GetBuildingRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  if (!req.reveal_personal_data() || p.role == auth::Role::kInternalService) {
    RedactForCaller(p, &b);
    return b;
  }
  FG_ASSIGN_OR_RETURN(Reveal reveal, CanReveal(p, b));
  v1::Building shown = b;
  RedactForCaller(p, &shown);
  const std::vector<std::string> fields = ApplyReveal(reveal, b, &shown);
  FG_RETURN_IF_ERROR(audit::RecordPersonalDataRead(
      personal_data_audit_, "/firegrid.buildings.v1.BuildingService/GetBuilding", p,
      b.building_id(), fields));
  return shown;
}

absl::StatusOr<v1::Building> Registry::UpdateBuilding(const P& p,
                                                      const v1::UpdateBuildingRequest& req) {
  const absl::Time now = clock_->Now();
  if (req.update_mask().paths().empty()) {
    return InvalidField("update_mask", "name at least one field to change");
  }
  for (const auto& path : req.update_mask().paths()) {
    if (!IsUpdatablePath(path)) {
      return InvalidField("update_mask",
                          absl::StrCat("'", path, "' is not a client-settable field"));
    }
  }
  if (req.expected_version() <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  FG_ASSIGN_OR_RETURN(v1::Building before, Load(req.building().building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, before));
  FG_RETURN_IF_ERROR(CanEdit(p, before.tier_path()));
  if (before.version() != req.expected_version()) {
    return absl::AbortedError(absl::StrCat("building ", before.building_id(), " is at version ",
                                           before.version(), ", not ", req.expected_version(),
                                           "; read it again"));
  }
  v1::Building after = before;
  google::protobuf::util::FieldMaskUtil::MergeOptions merge;
  merge.set_replace_repeated_fields(true);  // "parties" replaces the list
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(req.building(), req.update_mask(), merge,
                                                        &after);
  // Singular message fields are merged, not replaced, by MergeMessageTo; replace location.
  bool parties_changed = false;
  for (const auto& path : req.update_mask().paths()) {
    if (path == "location") *after.mutable_location() = req.building().location();
    parties_changed |= path == "parties";
  }
  FG_RETURN_IF_ERROR(ValidateBuildingFields(after, "building.", now));
  if (parties_changed) {
    FG_RETURN_IF_ERROR(NormalizeAndValidateParties(after.mutable_parties(), "building."));
  }
  if (after.tier_path() != before.tier_path()) {
    FG_RETURN_IF_ERROR(CanEdit(p, after.tier_path()));
    FG_RETURN_IF_ERROR(CheckTierExists(after.tier_path(), "building.tier_path"));
  }
  Derive(&after, now);
  v1::BuildingUpdated payload;
  *payload.mutable_building() = after;
  for (const auto& path : req.update_mask().paths()) payload.add_changed_fields(path);
  FG_RETURN_IF_ERROR(store_->UpdateBuilding(before, after, nullptr, {Event(payload, after, now)}));
  Decorate(&after);
  RedactForCaller(p, &after);
  return after;
}

absl::StatusOr<v1::ListBuildingsResponse> Registry::ListBuildings(
    const P& p, const v1::ListBuildingsRequest& req) {
  if (!auth::HasRole(p,
                     {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                      Role::kDepartmentOfficer, Role::kInternalService, Role::kBuildingManager})) {
    return Denied(p, "list buildings");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path_prefix(), "tier_path_prefix"));
  if (req.page_size() < 0 || req.page_size() > 500) {
    return InvalidField("page_size", "must be in [0, 500]");
  }
  FG_RETURN_IF_ERROR(ValidateBuildingFilter(req));
  const std::string listing = BuildingListing(scope, req);
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  const int size = req.page_size() == 0 ? 50 : req.page_size();
  auto matches = [&](const v1::Building& b) {
    if (p.role == Role::kBuildingManager && !NamesPrincipal(b, p)) return false;
    return MatchesBuildingFilter(req, b);
  };
  v1::ListBuildingsResponse resp;
  while (true) {
    FG_ASSIGN_OR_RETURN(BuildingPage page, store_->ScanBuildings(scope, cursor, kScanChunk));
    bool full = false;
    for (size_t i = 0; i < page.buildings.size(); ++i) {
      v1::Building& b = page.buildings[i];
      cursor = BuildingCursor(b);
      Decorate(&b);
      if (!matches(b)) continue;
      RedactForCaller(p, &b);
      *resp.add_buildings() = std::move(b);
      if (resp.buildings_size() == size) {
        full = true;
        // More may follow when this chunk has unread items or another chunk exists.
        if (i + 1 < page.buildings.size() || !page.next_cursor.empty()) {
          resp.set_next_page_token(EncodePageToken(listing, cursor));
        }
        break;
      }
    }
    if (full || page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return resp;
}

}  // namespace firegrid::buildings
