#include "services/buildings/registry.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/buildings/classify.h"
#include "services/buildings/csv.h"
#include "services/buildings/filing.h"
#include "services/buildings/fire_access.h"
#include "services/buildings/ledger.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {
namespace {

using auth::Role;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

constexpr char kProducer[] = "buildings";
constexpr int kScanChunk = 500;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}

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

std::string PageToken(const std::string& cursor) { return cursor; }

}  // namespace

Registry::Registry(Store* store, Rules rules, Clock* clock, IdGenerator* ids)
    : store_(store), rules_(std::move(rules)), clock_(clock), ids_(ids) {
  auto cal = CalendarFromRules(rules_);
  if (cal.ok()) calendar_ = *cal;  // rules are validated before the registry is built
}

events::Message Registry::Event(const google::protobuf::Message& payload, const v1::Building& b,
                                absl::Time now) {
  events::Envelope env =
      events::NewEnvelope(payload, kProducer, b.building_id(), b.tier_path(), now, *ids_);
  return events::Message{std::string(events::kBuildingsTopic), b.building_id(),
                         env.SerializeAsString()};
}

void Registry::Decorate(v1::Building* b) const {
  ComputeFilingState(b->mutable_responsibility(), clock_->Now(), calendar_,
                     rules_.filing().filing_period_working_days());
}

void Registry::Derive(v1::Building* b, absl::Time now) const {
  b->set_building_class(DeriveClass(*b, rules_));
  const v1::FireAccessAssessment a = firegrid::buildings::AssessFireAccess(*b, rules_, now);
  b->set_fire_access_compliant(a.compliant());
  b->set_fire_access_violations(a.violations_size());
  b->set_version(b->version() + 1);
  *b->mutable_updated_at() = Ts(now);
  // Read-time fields are not stored.
  b->mutable_responsibility()->clear_filing_state();
  b->mutable_responsibility()->clear_filing_due();
}

absl::StatusOr<v1::Building> Registry::Load(const std::string& id) {
  if (!IsWellFormedId(id, "bld")) return InvalidField("building_id", "is not a building id");
  FG_ASSIGN_OR_RETURN(v1::Building b, store_->GetBuilding(id));
  Decorate(&b);
  return b;
}

absl::Status Registry::CheckTierExists(const std::string& code, const std::string& field) {
  auto unit = store_->GetOrgUnit(code);
  if (unit.status().code() == absl::StatusCode::kNotFound) {
    return InvalidField(field, absl::StrCat("no org unit ", code));
  }
  FG_RETURN_IF_ERROR(unit.status());
  if (DivisionLevel(code) == 3 && unit->kind() != v1::ORG_UNIT_KIND_COMMUNITY &&
      unit->kind() != v1::ORG_UNIT_KIND_VILLAGE) {
    return InvalidField(field, absl::StrCat(code, " is not a community or village"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Registry::ScopeOf(const P& p, const std::string& requested,
                                              const std::string& field) {
  std::string scope = requested.empty() ? p.tier_path : requested;
  if (!scope.empty()) {
    for (char c : scope) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return InvalidField(field, "must be a division-code prefix (digits)");
      }
    }
  }
  if (p.role != Role::kBuildingManager) FG_RETURN_IF_ERROR(auth::RequireTier(p, scope));
  return scope;
}

// ----- Org units -------------------------------------------------------------------------------

absl::StatusOr<v1::OrgUnit> Registry::UpsertOrgUnit(const P& p,
                                                    const v1::UpsertOrgUnitRequest& req) {
  if (p.role != Role::kDistrictAdmin && p.role != Role::kInternalService) {
    return Denied(p, "manage org units");
  }
  v1::OrgUnit unit = req.org_unit();
  FG_RETURN_IF_ERROR(ValidateOrgUnitShape(unit));
  if (unit.kind() == v1::ORG_UNIT_KIND_DISTRICT) {
    unit.set_tier_path(unit.code());
  } else {
    auto parent = store_->GetOrgUnit(unit.parent_code());
    if (parent.status().code() == absl::StatusCode::kNotFound) {
      return InvalidField("org_unit.parent_code",
                          absl::StrCat("no org unit ", unit.parent_code(), "; create it first"));
    }
    FG_RETURN_IF_ERROR(parent.status());
    if (!IsDivisionCode(parent->code())) {
      return InvalidField("org_unit.parent_code",
                          "must be an area unit (district/street/community)");
    }
    unit.set_tier_path(IsDivisionCode(unit.code()) ? unit.code() : parent->tier_path());
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, unit.tier_path()));
  FG_RETURN_IF_ERROR(store_->PutOrgUnit(unit));
  return unit;
}

absl::StatusOr<v1::OrgUnit> Registry::GetOrgUnit(const P& p, const v1::GetOrgUnitRequest& req) {
  if (req.code().empty() || req.code().size() > 100) return InvalidField("code", "is required");
  FG_ASSIGN_OR_RETURN(v1::OrgUnit unit, store_->GetOrgUnit(req.code()));
  // Anyone may see the units above it (its street, its district) and those it covers.
  const bool ancestor = !p.tier_path.empty() && IsDivisionCode(unit.code()) &&
                        absl::StartsWith(p.tier_path, unit.code());
  if (!ancestor && !auth::CoversTierPath(p, unit.tier_path())) {
    return absl::PermissionDeniedError("org unit outside the caller's tier");
  }
  return unit;
}

absl::StatusOr<v1::ListOrgUnitsResponse> Registry::ListOrgUnits(
    const P& p, const v1::ListOrgUnitsRequest& req) {
  if (p.role == Role::kBuildingManager || p.role == Role::kServiceAgency) {
    return Denied(p, "list org units");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path_prefix(), "tier_path_prefix"));
  if (req.page_size() < 0 || req.page_size() > 1000) {
    return InvalidField("page_size", "must be in [0, 1000]");
  }
  if (!req.page_token().empty() && !absl::StartsWith(req.page_token(), scope)) {
    return InvalidField("page_token", "does not belong to this listing");
  }
  const int size = req.page_size() == 0 ? 100 : req.page_size();
  v1::ListOrgUnitsResponse resp;
  std::string cursor = req.page_token();
  while (true) {
    std::string next;
    FG_ASSIGN_OR_RETURN(auto units, store_->ListOrgUnits(scope, cursor, kScanChunk, &next));
    bool full = false;
    for (size_t i = 0; i < units.size(); ++i) {
      cursor = units[i].tier_path() + "|" + units[i].code();
      if (req.kind() != v1::ORG_UNIT_KIND_UNSPECIFIED && units[i].kind() != req.kind()) continue;
      *resp.add_org_units() = units[i];
      if (resp.org_units_size() == size) {
        full = true;
        if (i + 1 < units.size() || !next.empty()) resp.set_next_page_token(PageToken(cursor));
        break;
      }
    }
    if (full || next.empty()) break;
    cursor = next;
  }
  return resp;
}

// ----- Buildings -------------------------------------------------------------------------------

absl::StatusOr<v1::Building> Registry::CreateBuilding(const P& p,
                                                      const v1::CreateBuildingRequest& req) {
  const absl::Time now = clock_->Now();
  FG_RETURN_IF_ERROR(ValidateText(req.request_id(), "request_id", false, 128));
  const v1::Building& in = req.building();
  FG_RETURN_IF_ERROR(RejectServerOwnedFields(in, "building."));
  FG_RETURN_IF_ERROR(ValidateBuildingFields(in, "building.", now));
  FG_RETURN_IF_ERROR(CanEdit(p, in.tier_path()));
  if (!req.request_id().empty()) {
    auto existing = store_->BuildingForRequest(req.request_id());
    if (existing.ok()) return Load(*existing);
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  }
  FG_RETURN_IF_ERROR(CheckTierExists(in.tier_path(), "building.tier_path"));

  v1::Building b = in;
  b.set_building_id(ids_->NewId("bld"));
  *b.mutable_created_at() = Ts(now);
  Derive(&b, now);
  v1::BuildingRegistered payload;
  *payload.mutable_building() = b;
  absl::Status s = store_->CreateBuildings({b}, {req.request_id()}, {Event(payload, b, now)});
  if (s.code() == absl::StatusCode::kAlreadyExists && !req.request_id().empty()) {
    // A concurrent retry with the same request id won; answer as it did.
    FG_ASSIGN_OR_RETURN(std::string id, store_->BuildingForRequest(req.request_id()));
    return Load(id);
  }
  FG_RETURN_IF_ERROR(s);
  log::Info(
      "building registered",
      {{"building_id", b.building_id()}, {"tier_path", b.tier_path()}, {"subject", p.subject}});
  Decorate(&b);
  return b;
}

absl::StatusOr<v1::Building> Registry::GetBuilding(const P& p, const v1::GetBuildingRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  return b;
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
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(
      req.building(), req.update_mask(), google::protobuf::util::FieldMaskUtil::MergeOptions(),
      &after);
  // Singular message fields are merged, not replaced, by MergeMessageTo; replace location.
  for (const auto& path : req.update_mask().paths()) {
    if (path == "location") *after.mutable_location() = req.building().location();
  }
  FG_RETURN_IF_ERROR(ValidateBuildingFields(after, "building.", now));
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
  return after;
}

absl::StatusOr<std::vector<v1::Building>> Registry::ScanAll(const std::string& prefix) {
  std::vector<v1::Building> out;
  std::string cursor;
  while (true) {
    FG_ASSIGN_OR_RETURN(BuildingPage page, store_->ScanBuildings(prefix, cursor, kScanChunk));
    for (auto& b : page.buildings) {
      Decorate(&b);
      out.push_back(std::move(b));
    }
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return out;
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
  if (!req.page_token().empty() && !absl::StartsWith(req.page_token(), scope)) {
    return InvalidField("page_token", "does not belong to this listing");
  }
  for (int c : req.classes()) {
    if (!v1::BuildingClass_IsValid(c) || c == 0) return InvalidField("classes", "unknown class");
  }
  for (int u : req.uses()) {
    if (!v1::BuildingUse_IsValid(u) || u == 0) return InvalidField("uses", "unknown use");
  }
  for (int f : req.filing_states()) {
    if (!v1::FilingState_IsValid(f) || f == 0) {
      return InvalidField("filing_states", "unknown filing state");
    }
  }
  const int size = req.page_size() == 0 ? 50 : req.page_size();
  auto matches = [&](const v1::Building& b) {
    if (p.role == Role::kBuildingManager && !NamesPrincipal(b, p)) return false;
    if (!req.classes().empty() && std::find(req.classes().begin(), req.classes().end(),
                                            b.building_class()) == req.classes().end()) {
      return false;
    }
    if (!req.uses().empty() &&
        std::find(req.uses().begin(), req.uses().end(), b.use()) == req.uses().end()) {
      return false;
    }
    if (req.has_three_nos() && b.three_nos() != req.three_nos()) return false;
    if (req.has_old_residential() && b.old_residential() != req.old_residential()) return false;
    if (req.has_fire_access_compliant() &&
        b.fire_access_compliant() != req.fire_access_compliant()) {
      return false;
    }
    if (!req.filing_states().empty() &&
        std::find(req.filing_states().begin(), req.filing_states().end(),
                  b.responsibility().filing_state()) == req.filing_states().end()) {
      return false;
    }
    if (req.incomplete_only() && CompletenessOf(b).complete()) return false;
    return true;
  };
  v1::ListBuildingsResponse resp;
  std::string cursor = req.page_token();
  while (true) {
    FG_ASSIGN_OR_RETURN(BuildingPage page, store_->ScanBuildings(scope, cursor, kScanChunk));
    bool full = false;
    for (size_t i = 0; i < page.buildings.size(); ++i) {
      v1::Building& b = page.buildings[i];
      cursor = BuildingCursor(b);
      Decorate(&b);
      if (!matches(b)) continue;
      *resp.add_buildings() = std::move(b);
      if (resp.buildings_size() == size) {
        full = true;
        // More may follow when this chunk has unread items or another chunk exists.
        if (i + 1 < page.buildings.size() || !page.next_cursor.empty()) {
          resp.set_next_page_token(PageToken(cursor));
        }
        break;
      }
    }
    if (full || page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return resp;
}

// ----- Responsibility --------------------------------------------------------------------------

absl::StatusOr<v1::Building> Registry::FileResponsibility(
    const P& p, const v1::FileResponsibilityRequest& req) {
  const absl::Time now = clock_->Now();
  if (req.expected_version() <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  FG_ASSIGN_OR_RETURN(v1::Building before, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, before));
  FG_RETURN_IF_ERROR(CanManageArea(p, before.tier_path(), "file responsibility"));
  FG_RETURN_IF_ERROR(ValidateChain(req.chain(), before.three_nos(), "chain."));
  if (before.version() != req.expected_version()) {
    return absl::AbortedError(absl::StrCat("building ", before.building_id(), " is at version ",
                                           before.version(), ", not ", req.expected_version(),
                                           "; read it again"));
  }
  const bool changed = !before.responsibility().has_chain() ||
                       !MessageDifferencer::Equals(before.responsibility().chain(), req.chain());
  v1::Building after = before;
  v1::Responsibility* r = after.mutable_responsibility();
  if (changed) {
    *r->mutable_chain() = req.chain();
    *r->mutable_changed_at() = Ts(now);
    r->clear_filing();
  }
  if (req.has_filing()) {
    const v1::Filing& f = req.filing();
    FG_RETURN_IF_ERROR(ValidateText(f.document_number(), "filing.document_number", true, 64));
    if (!f.has_filed_at()) return InvalidField("filing.filed_at", "is required");
    if (!f.filed_with().empty()) return InvalidField("filing.filed_with", "is server-owned");
    const absl::Time filed = FromTs(f.filed_at());
    if (filed > now) return InvalidField("filing.filed_at", "is in the future");
    if (absl::ToCivilDay(filed, calendar_.zone) <
        absl::ToCivilDay(FromTs(r->changed_at()), calendar_.zone)) {
      return InvalidField("filing.filed_at", "is before the chain's last change");
    }
    *r->mutable_filing() = f;
    r->mutable_filing()->set_filed_with(before.tier_path().substr(0, 9));
  } else if (!changed) {
    return InvalidField("filing", "is required when the chain is unchanged");
  }
  Derive(&after, now);
  v1::ResponsibilityRecord record;
  *record.mutable_chain() = r->chain();
  if (r->has_filing()) *record.mutable_filing() = r->filing();
  *record.mutable_recorded_at() = Ts(now);
  record.set_recorded_by(p.subject);
  record.set_chain_changed(changed);
  record.set_building_version(after.version());
  v1::ResponsibilityFiled payload;
  payload.set_building_id(after.building_id());
  *payload.mutable_chain() = r->chain();
  if (r->has_filing()) *payload.mutable_filing() = r->filing();
  payload.set_chain_changed(changed);
  payload.set_building_version(after.version());
  FG_RETURN_IF_ERROR(store_->UpdateBuilding(before, after, &record, {Event(payload, after, now)}));
  Decorate(&after);
  return after;
}

absl::StatusOr<v1::GetResponsibilityHistoryResponse> Registry::GetResponsibilityHistory(
    const P& p, const v1::GetResponsibilityHistoryRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  FG_ASSIGN_OR_RETURN(auto records, store_->GetHistory(b.building_id()));
  v1::GetResponsibilityHistoryResponse resp;
  for (auto& r : records) *resp.add_records() = std::move(r);
  return resp;
}

// ----- Facilities and fire access --------------------------------------------------------------

absl::StatusOr<v1::Building> Registry::ReadModifyWrite(
    const std::string& id, int64_t expected_version,
    const std::function<absl::Status(const v1::Building&, v1::Building*, Outbox*)>& mutate) {
  for (int attempt = 0;; ++attempt) {
    FG_ASSIGN_OR_RETURN(v1::Building before, Load(id));
    if (expected_version > 0 && before.version() != expected_version) {
      return absl::AbortedError(absl::StrCat("building ", id, " is at version ", before.version(),
                                             ", not ", expected_version, "; read it again"));
    }
    v1::Building after = before;
    Outbox outbox;
    FG_RETURN_IF_ERROR(mutate(before, &after, &outbox));
    absl::Status s = store_->UpdateBuilding(before, after, nullptr, outbox);
    if (s.ok()) {
      Decorate(&after);
      return after;
    }
    // Without a client version, a concurrent writer is not the client's conflict: try again.
    if (s.code() != absl::StatusCode::kAborted || expected_version > 0 || attempt >= 4) return s;
  }
}

absl::StatusOr<v1::Building> Registry::SetFacilityStatus(const P& p,
                                                         const v1::SetFacilityStatusRequest& req) {
  if (req.kind() == v1::FACILITY_KIND_UNSPECIFIED || !v1::FacilityKind_IsValid(req.kind())) {
    return InvalidField("kind", "is required");
  }
  if (req.status() == v1::FACILITY_STATUS_UNSPECIFIED ||
      !v1::FacilityStatus_IsValid(req.status())) {
    return InvalidField("status", "is required");
  }
  if (req.status() == v1::FACILITY_STATUS_NO_WATER &&
      req.kind() != v1::FACILITY_KIND_INDOOR_HYDRANT) {
    return InvalidField("status", "NO_WATER applies to indoor hydrant systems only");
  }
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 1000));
  return ReadModifyWrite(
      req.building_id(), 0,
      [&](const v1::Building& before, v1::Building* after, Outbox* outbox) -> absl::Status {
        FG_RETURN_IF_ERROR(CanRead(p, before));
        FG_RETURN_IF_ERROR(CanSetFacility(p, before));
        const absl::Time now = clock_->Now();
        v1::Facility* f = nullptr;
        for (auto& existing : *after->mutable_facilities()) {
          if (existing.kind() == req.kind()) f = &existing;
        }
        v1::FacilityStatus previous = v1::FACILITY_STATUS_UNSPECIFIED;
        if (f == nullptr) {
          f = after->add_facilities();
          f->set_kind(req.kind());
        } else {
          previous = f->status();
        }
        f->set_status(req.status());
        f->set_note(req.note());
        *f->mutable_updated_at() = Ts(now);
        f->set_updated_by(p.subject);
        Derive(after, now);
        if (previous != req.status()) {
          v1::FacilityStatusChanged payload;
          payload.set_building_id(after->building_id());
          *payload.mutable_facility() = *f;
          payload.set_previous_status(previous);
          outbox->push_back(Event(payload, *after, now));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::SetFireAccessResponse> Registry::SetFireAccess(
    const P& p, const v1::SetFireAccessRequest& req) {
  if (req.expected_version() <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  FG_RETURN_IF_ERROR(ValidateFireAccess(req));
  v1::FireAccessAssessment assessment;
  FG_ASSIGN_OR_RETURN(
      v1::Building b,
      ReadModifyWrite(
          req.building_id(), req.expected_version(),
          [&](const v1::Building& before, v1::Building* after, Outbox* outbox) -> absl::Status {
            FG_RETURN_IF_ERROR(CanRead(p, before));
            FG_RETURN_IF_ERROR(CanEdit(p, before.tier_path()));
            const absl::Time now = clock_->Now();
            *after->mutable_fire_lanes() = req.fire_lanes();
            *after->mutable_rescue_sites() = req.rescue_sites();
            Derive(after, now);
            assessment = firegrid::buildings::AssessFireAccess(*after, rules_, now);
            if (!assessment.compliant()) {
              v1::FireAccessNonCompliant payload;
              payload.set_building_id(after->building_id());
              payload.set_building_name(after->name());
              payload.set_use(after->use());
              *payload.mutable_assessment() = assessment;
              outbox->push_back(Event(payload, *after, now));
            }
            return absl::OkStatus();
          }));
  v1::SetFireAccessResponse resp;
  *resp.mutable_building() = std::move(b);
  *resp.mutable_assessment() = std::move(assessment);
  return resp;
}

absl::StatusOr<v1::FireAccessAssessment> Registry::AssessFireAccess(
    const P& p, const v1::AssessFireAccessRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  return firegrid::buildings::AssessFireAccess(b, rules_, clock_->Now());
}

// ----- Hydrants, micro stations, nearby --------------------------------------------------------

absl::StatusOr<v1::Hydrant> Registry::RegisterHydrant(const P& p,
                                                      const v1::RegisterHydrantRequest& req) {
  v1::Hydrant h = req.hydrant();
  if (DivisionLevel(h.tier_path()) < 2) {
    return InvalidField("hydrant.tier_path", "must be a street/town or community/village code");
  }
  FG_RETURN_IF_ERROR(ValidateLocation(h.location(), "hydrant.location"));
  if (h.status() == v1::HYDRANT_STATUS_UNSPECIFIED || !v1::HydrantStatus_IsValid(h.status())) {
    return InvalidField("hydrant.status", "is required");
  }
  FG_RETURN_IF_ERROR(ValidateText(h.maintainer(), "hydrant.maintainer", false, 200));
  FG_RETURN_IF_ERROR(ValidateText(h.note(), "hydrant.note", false, 1000));
  if (h.has_updated_at()) return InvalidField("hydrant.updated_at", "is server-owned");
  FG_RETURN_IF_ERROR(CanManageArea(p, h.tier_path(), "register hydrants"));
  FG_RETURN_IF_ERROR(CheckTierExists(h.tier_path(), "hydrant.tier_path"));
  if (h.hydrant_id().empty()) {
    h.set_hydrant_id(ids_->NewId("hyd"));
  } else {
    if (!IsWellFormedId(h.hydrant_id(), "hyd")) {
      return InvalidField("hydrant.hydrant_id", "is not a hydrant id");
    }
    FG_ASSIGN_OR_RETURN(v1::Hydrant old, store_->GetHydrant(h.hydrant_id()));
    FG_RETURN_IF_ERROR(CanManageArea(p, old.tier_path(), "change this hydrant"));
  }
  *h.mutable_updated_at() = Ts(clock_->Now());
  FG_RETURN_IF_ERROR(store_->PutHydrant(h));
  return h;
}

absl::StatusOr<v1::MicroStation> Registry::RegisterMicroStation(
    const P& p, const v1::RegisterMicroStationRequest& req) {
  v1::MicroStation s = req.station();
  FG_RETURN_IF_ERROR(ValidateText(s.name(), "station.name", true, 200));
  if (DivisionLevel(s.tier_path()) < 2) {
    return InvalidField("station.tier_path", "must be a street/town or community/village code");
  }
  FG_RETURN_IF_ERROR(ValidateLocation(s.location(), "station.location"));
  if (s.staff() < 0 || s.staff() > 1000)
    return InvalidField("station.staff", "must be in [0, 1000]");
  FG_RETURN_IF_ERROR(ValidateText(s.phone(), "station.phone", false, 20));
  if (s.has_updated_at()) return InvalidField("station.updated_at", "is server-owned");
  FG_RETURN_IF_ERROR(CanManageArea(p, s.tier_path(), "register micro fire stations"));
  FG_RETURN_IF_ERROR(CheckTierExists(s.tier_path(), "station.tier_path"));
  if (s.station_id().empty()) {
    s.set_station_id(ids_->NewId("mfs"));
  } else {
    if (!IsWellFormedId(s.station_id(), "mfs")) {
      return InvalidField("station.station_id", "is not a micro station id");
    }
    FG_ASSIGN_OR_RETURN(v1::MicroStation old, store_->GetStation(s.station_id()));
    FG_RETURN_IF_ERROR(CanManageArea(p, old.tier_path(), "change this micro station"));
  }
  *s.mutable_updated_at() = Ts(clock_->Now());
  FG_RETURN_IF_ERROR(store_->PutStation(s));
  return s;
}

absl::StatusOr<v1::FindNearbyResponse> Registry::FindNearby(const P& p,
                                                            const v1::FindNearbyRequest& req) {
  if (p.role == Role::kServiceAgency) return Denied(p, "search hydrants and stations");
  if (req.kind() != v1::NEARBY_KIND_HYDRANT && req.kind() != v1::NEARBY_KIND_MICRO_STATION) {
    return InvalidField("kind", "is required (hydrant or micro_station)");
  }
  if (!std::isfinite(req.radius_m()) || req.radius_m() < 0 || req.radius_m() > 20000) {
    return InvalidField("radius_m", "must be in (0, 20000]");
  }
  if (req.limit() < 0 || req.limit() > 50) return InvalidField("limit", "must be in [0, 50]");
  const double radius = req.radius_m() == 0 ? 1000 : req.radius_m();
  const int limit = req.limit() == 0 ? 5 : req.limit();
  v1::GeoPoint origin;
  if (req.has_location()) {
    FG_RETURN_IF_ERROR(ValidateLocation(req.location(), "location"));
    origin = req.location();
  } else if (!req.building_id().empty()) {
    FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
    FG_RETURN_IF_ERROR(CanRead(p, b));
    origin = b.location();
  } else {
    return InvalidField("origin", "give building_id or location");
  }
  const bool filter = req.kind() == v1::NEARBY_KIND_HYDRANT && req.in_service_only();
  FG_ASSIGN_OR_RETURN(auto near,
                      store_->FindNearby(req.kind(), origin.latitude(), origin.longitude(), radius,
                                         filter ? std::min(limit * 10, 500) : limit));
  v1::FindNearbyResponse resp;
  for (const auto& n : near) {
    if (resp.results_size() == limit) break;
    v1::NearbyResult r;
    r.set_distance_m(n.distance_m);
    if (req.kind() == v1::NEARBY_KIND_HYDRANT) {
      auto h = store_->GetHydrant(n.id);
      if (h.status().code() == absl::StatusCode::kNotFound) continue;
      FG_RETURN_IF_ERROR(h.status());
      if (filter && h->status() != v1::HYDRANT_STATUS_IN_SERVICE) continue;
      *r.mutable_hydrant() = *h;
    } else {
      auto s = store_->GetStation(n.id);
      if (s.status().code() == absl::StatusCode::kNotFound) continue;
      FG_RETURN_IF_ERROR(s.status());
      *r.mutable_station() = *s;
    }
    *resp.add_results() = std::move(r);
  }
  return resp;
}

// ----- Ledger ----------------------------------------------------------------------------------

absl::StatusOr<std::map<std::string, std::string>> Registry::UnitNames(const std::string& prefix) {
  std::map<std::string, std::string> names;
  // The units above the prefix (its street and district) and all below it.
  for (size_t len : {6, 9, 12}) {
    if (prefix.size() >= len) {
      auto u = store_->GetOrgUnit(prefix.substr(0, len));
      if (u.ok()) names[u->code()] = u->name();
    }
  }
  std::string cursor;
  while (true) {
    std::string next;
    FG_ASSIGN_OR_RETURN(auto units, store_->ListOrgUnits(prefix, cursor, kScanChunk, &next));
    for (const auto& u : units) names[u.code()] = u.name();
    if (next.empty()) break;
    cursor = next;
  }
  return names;
}

absl::StatusOr<v1::Ledger> Registry::GetLedger(const P& p, const v1::GetLedgerRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "read the ledger");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path(), "tier_path"));
  if (!IsDivisionCode(scope)) return InvalidField("tier_path", "must be a 6, 9 or 12-digit code");
  FG_ASSIGN_OR_RETURN(auto buildings, ScanAll(scope));
  FG_ASSIGN_OR_RETURN(auto names, UnitNames(scope));
  return ComputeLedger(scope, buildings, names, clock_->Now());
}

absl::StatusOr<v1::CsvDocument> Registry::ExportLedgerCsv(const P& p,
                                                          const v1::ExportLedgerCsvRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "export the ledger");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path(), "tier_path"));
  if (!IsDivisionCode(scope)) return InvalidField("tier_path", "must be a 6, 9 or 12-digit code");
  FG_ASSIGN_OR_RETURN(auto buildings, ScanAll(scope));
  FG_ASSIGN_OR_RETURN(auto names, UnitNames(scope));
  v1::CsvDocument doc;
  doc.set_filename(absl::StrCat("ledger-", scope, "-",
                                absl::FormatTime("%Y%m%d", clock_->Now(), calendar_.zone), ".csv"));
  doc.set_content(LedgerCsv(buildings, names));
  doc.set_rows(static_cast<int>(buildings.size()));
  return doc;
}

absl::StatusOr<v1::ImportBuildingsCsvResponse> Registry::ImportBuildingsCsv(
    const P& p, const v1::ImportBuildingsCsvRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer}))
    return Denied(p, "import buildings");
  if (req.content().size() > kMaxImportBytes) {
    return InvalidField("content", absl::StrCat("at most ", kMaxImportBytes, " bytes"));
  }
  auto parsed = ParseCsv(req.content());
  if (!parsed.ok()) return InvalidField("content", parsed.status().message());
  const std::vector<CsvRecord>& records = *parsed;
  if (records.empty()) return InvalidField("content", "is empty; a header row is required");
  if (static_cast<int>(records.size()) - 1 > kMaxImportRows) {
    return InvalidField("content", absl::StrCat("at most ", kMaxImportRows, " rows per import"));
  }
  const std::vector<std::string> required = {
      "name",      "address", "tier_path", "latitude",
      "longitude", "use",     "height_m",  "floors_above_ground"};
  const std::set<std::string> optional = {"floors_below_ground", "year_built", "three_nos",
                                          "old_residential", "large_mixed_use"};
  v1::ImportBuildingsCsvResponse resp;
  std::map<std::string, int> col;
  for (size_t i = 0; i < records[0].fields.size(); ++i) {
    const std::string name =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(records[0].fields[i]));
    if (std::find(required.begin(), required.end(), name) == required.end() &&
        optional.count(name) == 0) {
      auto* e = resp.add_errors();
      e->set_line(1);
      e->set_column(name);
      e->set_message("unknown column");
      continue;
    }
    if (!col.emplace(name, static_cast<int>(i)).second) {
      auto* e = resp.add_errors();
      e->set_line(1);
      e->set_column(name);
      e->set_message("duplicate column");
    }
  }
  for (const auto& r : required) {
    if (col.count(r) == 0) {
      auto* e = resp.add_errors();
      e->set_line(1);
      e->set_column(r);
      e->set_message("required column missing");
    }
  }
  resp.set_rows(static_cast<int>(records.size()) - 1);
  if (!resp.errors().empty()) return resp;

  const absl::Time now = clock_->Now();
  std::map<std::string, absl::Status> tier_checked;
  std::vector<v1::Building> buildings;
  Outbox outbox;
  constexpr int kMaxReportedErrors = 200;
  for (size_t ri = 1; ri < records.size(); ++ri) {
    const CsvRecord& rec = records[ri];
    auto fail = [&](const std::string& column, absl::string_view message) {
      if (resp.errors_size() >= kMaxReportedErrors) return;
      auto* e = resp.add_errors();
      e->set_line(rec.line);
      e->set_column(column);
      e->set_message(std::string(message));
    };
    auto get = [&](const std::string& name) -> std::string {
      auto it = col.find(name);
      if (it == col.end() || it->second >= static_cast<int>(rec.fields.size())) return "";
      return std::string(absl::StripAsciiWhitespace(rec.fields[it->second]));
    };
    if (rec.fields.size() != records[0].fields.size()) {
      fail("", absl::StrCat("has ", rec.fields.size(), " fields, the header ",
                            records[0].fields.size()));
      continue;
    }
    v1::Building b;
    b.set_name(get("name"));
    b.set_address(get("address"));
    b.set_tier_path(get("tier_path"));
    bool ok = true;
    auto number = [&](const std::string& name, double* out, bool required) {
      const std::string v = get(name);
      if (v.empty() && !required) return;
      if (!absl::SimpleAtod(v, out)) {
        fail(name, "is not a number");
        ok = false;
      }
    };
    auto integer = [&](const std::string& name, int* out) {
      const std::string v = get(name);
      if (v.empty()) return;
      if (!absl::SimpleAtoi(v, out)) {
        fail(name, "is not a whole number");
        ok = false;
      }
    };
    auto flag = [&](const std::string& name, void (v1::Building::*set)(bool)) {
      const std::string v = absl::AsciiStrToLower(get(name));
      if (v.empty() || v == "no" || v == "false" || v == "0" || v == "n") return;
      if (v == "yes" || v == "true" || v == "1" || v == "y") {
        (b.*set)(true);
      } else {
        fail(name, "must be yes or no");
        ok = false;
      }
    };
    double lat = 0, lon = 0, height = 0;
    number("latitude", &lat, true);
    number("longitude", &lon, true);
    number("height_m", &height, true);
    b.mutable_location()->set_latitude(lat);
    b.mutable_location()->set_longitude(lon);
    b.set_height_m(height);
    int floors = 0, below = 0, year = 0;
    integer("floors_above_ground", &floors);
    integer("floors_below_ground", &below);
    integer("year_built", &year);
    b.set_floors_above_ground(floors);
    b.set_floors_below_ground(below);
    b.set_year_built(year);
    flag("three_nos", &v1::Building::set_three_nos);
    flag("old_residential", &v1::Building::set_old_residential);
    flag("large_mixed_use", &v1::Building::set_large_mixed_use);
    const std::string use = absl::AsciiStrToUpper(get("use"));
    v1::BuildingUse u;
    if (v1::BuildingUse_Parse(use, &u) || v1::BuildingUse_Parse("BUILDING_USE_" + use, &u)) {
      b.set_use(u);
    } else {
      fail("use", absl::StrCat("unknown use '", get("use"), "'"));
      ok = false;
    }
    if (!ok) continue;
    absl::Status s = ValidateBuildingFields(b, "", now);
    if (!s.ok()) {
      const std::string msg(s.message());
      const auto colon = msg.find(':');
      std::string column = msg.substr(0, colon);
      column = column.substr(0, column.find('.'));  // "location.latitude" → "location"
      if (column == "location") column = "latitude/longitude";
      fail(column, colon == std::string::npos ? msg : msg.substr(colon + 2));
      continue;
    }
    auto checked = tier_checked.find(b.tier_path());
    if (checked == tier_checked.end()) {
      absl::Status tier = auth::RequireTier(p, b.tier_path());
      if (tier.ok()) tier = CheckTierExists(b.tier_path(), "tier_path");
      checked = tier_checked.emplace(b.tier_path(), tier).first;
    }
    if (!checked->second.ok()) {
      const std::string msg(checked->second.message());
      fail("tier_path",
           checked->second.code() == absl::StatusCode::kPermissionDenied
               ? "is outside the caller's tier"
               : msg.substr(msg.find(':') == std::string::npos ? 0 : msg.find(':') + 2));
      continue;
    }
    b.set_building_id(ids_->NewId("bld"));
    *b.mutable_created_at() = Ts(now);
    Derive(&b, now);
    v1::BuildingRegistered payload;
    *payload.mutable_building() = b;
    outbox.push_back(Event(payload, b, now));
    buildings.push_back(std::move(b));
  }
  if (!resp.errors().empty() || req.dry_run()) return resp;
  FG_RETURN_IF_ERROR(store_->CreateBuildings(buildings, {}, outbox));
  resp.set_imported(static_cast<int>(buildings.size()));
  for (const auto& b : buildings) resp.add_building_ids(b.building_id());
  log::Info("buildings imported", {{"count", buildings.size()}, {"subject", p.subject}});
  return resp;
}

}  // namespace firegrid::buildings
