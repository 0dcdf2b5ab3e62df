#include "tools/loaders/loader.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace firegrid::loaders {
namespace {

absl::Status Failed(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

}  // namespace

std::string LoadSummary::ToString() const {
  return absl::StrCat(
      org_units, " org units, ", buildings, " buildings (", buildings_new, " new), ", chain_steps,
      " responsibility steps (", filings, " filed), ", facility_updates, " facility statuses, ",
      fire_access_sets, " fire-access sets, ", party_sets, " party lists set, ", hydrants,
      " hydrants (", hydrants_new, " new), ", stations, " micro stations (", stations_new, " new)");
}

DemoLoader::DemoLoader(bv1::BuildingService::StubInterface* stub, Prepare prepare,
                       std::function<absl::Time()> now)
    : stub_(stub), prepare_(std::move(prepare)), now_(std::move(now)) {}

absl::StatusOr<LoadSummary> DemoLoader::Load(const DemoDataset& dataset) {
  LoadSummary summary;
  for (const bv1::OrgUnit& unit : dataset.org_units) {
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::UpsertOrgUnitRequest req;
    *req.mutable_org_unit() = unit;
    bv1::OrgUnit out;
    grpc::Status s = stub_->UpsertOrgUnit(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("UpsertOrgUnit ", unit.code()));
    ++summary.org_units;
  }
  for (const PlannedBuilding& planned : dataset.buildings) {
    absl::Status s = LoadBuilding(planned, &summary);
    if (!s.ok()) return s;
  }
  for (const bv1::Hydrant& h : dataset.hydrants) {
    ++summary.hydrants;
    absl::StatusOr<bool> exists = ExistsNearby(h.location(), bv1::NEARBY_KIND_HYDRANT, "");
    if (!exists.ok()) return exists.status();
    if (*exists) continue;
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::RegisterHydrantRequest req;
    *req.mutable_hydrant() = h;
    bv1::Hydrant out;
    grpc::Status s = stub_->RegisterHydrant(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("RegisterHydrant in ", h.tier_path()));
    ++summary.hydrants_new;
  }
  for (const bv1::MicroStation& m : dataset.stations) {
    ++summary.stations;
    absl::StatusOr<bool> exists =
        ExistsNearby(m.location(), bv1::NEARBY_KIND_MICRO_STATION, m.name());
    if (!exists.ok()) return exists.status();
    if (*exists) continue;
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::RegisterMicroStationRequest req;
    *req.mutable_station() = m;
    bv1::MicroStation out;
    grpc::Status s = stub_->RegisterMicroStation(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("RegisterMicroStation ", m.name()));
    ++summary.stations_new;
  }
  return summary;
}

absl::Status DemoLoader::LoadBuilding(const PlannedBuilding& planned, LoadSummary* summary) {
  const std::string& rid = planned.request_id;
  bv1::Building b;
  {
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::CreateBuildingRequest req;
    *req.mutable_building() = planned.building;
    req.set_request_id(rid);
    grpc::Status s = stub_->CreateBuilding(&ctx, req, &b);
    if (!s.ok()) return Failed(s, absl::StrCat("CreateBuilding ", rid));
  }
  ++summary->buildings;
  building_ids_[rid] = b.building_id();
  const bool untouched = !b.responsibility().has_chain() && b.facilities().empty() &&
                         b.fire_lanes().empty() && b.rescue_sites().empty();
  if (untouched) ++summary->buildings_new;

  // Parties: a building registered before the demo named them gets the planned list.
  if (b.parties().empty() && !planned.building.parties().empty()) {
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::UpdateBuildingRequest req;
    req.mutable_building()->set_building_id(b.building_id());
    *req.mutable_building()->mutable_parties() = planned.building.parties();
    req.mutable_update_mask()->add_paths("parties");
    req.set_expected_version(b.version());
    bv1::Building out;
    grpc::Status s = stub_->UpdateBuilding(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("UpdateBuilding parties ", rid));
    b = std::move(out);
    ++summary->party_sets;
  }

  // Responsibility: the steps not yet visible in the building's chain.
  const std::vector<ChainStep>& steps = planned.chain_steps;
  size_t next = 0;
  if (b.responsibility().has_chain() && !b.responsibility().chain().management_unit().empty()) {
    const std::string& manager = b.responsibility().chain().manager().name();
    next = !steps.empty() && manager == steps.back().chain.manager().name() ? steps.size() : 1;
  }
  for (size_t i = next; i < steps.size(); ++i) {
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::FileResponsibilityRequest req;
    req.set_building_id(b.building_id());
    req.set_expected_version(b.version());
    *req.mutable_chain() = steps[i].chain;
    if (steps[i].filing_sequence.has_value()) {
      const absl::Time now = now_();
      const int year = absl::ToCivilYear(now, absl::FixedTimeZone(8 * 3600)).year();
      bv1::Filing* filing = req.mutable_filing();
      filing->set_document_number(absl::StrCat("北碚", planned.street_name, "消备〔", year, "〕",
                                               *steps[i].filing_sequence, "号"));
      filing->mutable_filed_at()->set_seconds(absl::ToUnixSeconds(now));
    }
    bv1::Building out;
    grpc::Status s = stub_->FileResponsibility(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("FileResponsibility ", rid, " step ", i + 1));
    b = std::move(out);
    ++summary->chain_steps;
    if (steps[i].filing_sequence.has_value()) ++summary->filings;
  }

  // Facilities: the kinds not yet recorded.
  for (const bv1::Facility& f : planned.facilities) {
    bool recorded = false;
    for (const bv1::Facility& existing : b.facilities()) recorded |= existing.kind() == f.kind();
    if (recorded) continue;
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::SetFacilityStatusRequest req;
    req.set_building_id(b.building_id());
    req.set_kind(f.kind());
    req.set_status(f.status());
    req.set_note(f.note());
    bv1::Building out;
    grpc::Status s = stub_->SetFacilityStatus(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("SetFacilityStatus ", rid));
    b = std::move(out);
    ++summary->facility_updates;
  }

  // Fire access: once, when the building has no lanes or sites yet.
  if ((!planned.fire_lanes.empty() || !planned.rescue_sites.empty()) && b.fire_lanes().empty() &&
      b.rescue_sites().empty()) {
    grpc::ClientContext ctx;
    prepare_(&ctx);
    bv1::SetFireAccessRequest req;
    req.set_building_id(b.building_id());
    req.set_expected_version(b.version());
    for (const auto& l : planned.fire_lanes) *req.add_fire_lanes() = l;
    for (const auto& site : planned.rescue_sites) *req.add_rescue_sites() = site;
    bv1::SetFireAccessResponse out;
    grpc::Status s = stub_->SetFireAccess(&ctx, req, &out);
    if (!s.ok()) return Failed(s, absl::StrCat("SetFireAccess ", rid));
    ++summary->fire_access_sets;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DemoLoader::ExistsNearby(const bv1::GeoPoint& at, bv1::NearbyKind kind,
                                              const std::string& station_name) {
  grpc::ClientContext ctx;
  prepare_(&ctx);
  bv1::FindNearbyRequest req;
  *req.mutable_location() = at;
  req.set_kind(kind);
  req.set_radius_m(1);
  req.set_limit(10);
  bv1::FindNearbyResponse out;
  grpc::Status s = stub_->FindNearby(&ctx, req, &out);
  if (!s.ok()) return Failed(s, "FindNearby");
  for (const bv1::NearbyResult& r : out.results()) {
    if (r.distance_m() > 0.5) continue;
    if (kind == bv1::NEARBY_KIND_HYDRANT && r.has_hydrant()) return true;
    if (kind == bv1::NEARBY_KIND_MICRO_STATION && r.has_station() &&
        r.station().name() == station_name) {
      return true;
    }
  }
  return false;
}

}  // namespace firegrid::loaders
