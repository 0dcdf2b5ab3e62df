#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "firegrid/buildings/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/buildings/access.h"
#include "services/buildings/geo.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::kProducer;
using internal::Ts;

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
  const absl::Time now = clock_->Now();
  *s.mutable_updated_at() = Ts(now);
  // Key and building of the event: the station (it belongs to no one building).
  v1::MicroStationRegistered payload;
  *payload.mutable_station() = s;
  const events::Envelope env =
      events::NewEnvelope(payload, kProducer, "", s.tier_path(), now, *ids_);
  FG_RETURN_IF_ERROR(
      store_->PutStation(s, {events::Message{std::string(events::kBuildingsTopic), s.station_id(),
                                             env.SerializeAsString()}}));
  return s;
}

absl::StatusOr<v1::FindNearbyResponse> Registry::FindNearby(const P& p,
                                                            const v1::FindNearbyRequest& req) {
  const v1::NearbyKind kind = req.kind();
  if (kind != v1::NEARBY_KIND_HYDRANT && kind != v1::NEARBY_KIND_MICRO_STATION &&
      kind != v1::NEARBY_KIND_BUILDING) {
    if (p.role == Role::kServiceAgency) return Denied(p, "search nearby");
    return InvalidField("kind", "is required (hydrant, micro_station or building)");
  }
  FG_RETURN_IF_ERROR(CanFindNearby(p, kind));
  if (!std::isfinite(req.radius_m()) || req.radius_m() < 0 || req.radius_m() > 20000) {
    return InvalidField("radius_m", "must be in (0, 20000]");
  }
  if (req.limit() < 0 || req.limit() > 50) return InvalidField("limit", "must be in [0, 50]");
  const double radius = req.radius_m() == 0 ? 1000 : req.radius_m();
  const int limit = req.limit() == 0 ? 5 : req.limit();
  v1::GeoPoint origin;
  std::string origin_building;
  if (req.has_location()) {
    FG_RETURN_IF_ERROR(ValidateLocation(req.location(), "location"));
    origin = req.location();
  } else if (!req.building_id().empty()) {
    FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
    FG_RETURN_IF_ERROR(CanRead(p, b));
    origin = b.location();
    origin_building = b.building_id();
  } else {
    return InvalidField("origin", "give building_id or location");
  }
  const bool in_service_only = kind == v1::NEARBY_KIND_HYDRANT && req.in_service_only();
  // The store's GEO index only pre-selects: its positions and distances are approximate (a
  // geohash cell), so ask a little wider and for more, then rank by the exact great-circle
  // distance between the origin and each item's recorded location. Items the caller may not
  // see (or hydrants out of service, when asked) are skipped: when they crowd the nearest
  // candidates, ask again for more, up to kMaxCandidates.
  constexpr double kPreselectMarginM = 5;
  constexpr int kMaxCandidates = 5000;
  int want = std::min(limit * (in_service_only ? 10 : 4) + 10, 500);
  std::set<std::string> seen;
  std::vector<v1::NearbyResult> found;
  for (;;) {
    FG_ASSIGN_OR_RETURN(auto near, store_->FindNearby(kind, origin.latitude(), origin.longitude(),
                                                      radius + kPreselectMarginM, want));
    for (const auto& n : near) {
      if (!seen.insert(n.id).second) continue;
      v1::NearbyResult r;
      v1::GeoPoint at;
      if (kind == v1::NEARBY_KIND_HYDRANT) {
        auto h = store_->GetHydrant(n.id);
        if (h.status().code() == absl::StatusCode::kNotFound) continue;
        FG_RETURN_IF_ERROR(h.status());
        if (in_service_only && h->status() != v1::HYDRANT_STATUS_IN_SERVICE) continue;
        at = h->location();
        *r.mutable_hydrant() = *std::move(h);
      } else if (kind == v1::NEARBY_KIND_MICRO_STATION) {
        auto s = store_->GetStation(n.id);
        if (s.status().code() == absl::StatusCode::kNotFound) continue;
        FG_RETURN_IF_ERROR(s.status());
        at = s->location();
        *r.mutable_station() = *std::move(s);
      } else {
        if (n.id == origin_building) continue;
        auto b = store_->GetBuilding(n.id);
        if (b.status().code() == absl::StatusCode::kNotFound) continue;
        FG_RETURN_IF_ERROR(b.status());
        if (!b->has_location() || !ShowsInNearby(p, *b)) continue;
        at = b->location();
        v1::NearbyBuilding* shown = r.mutable_building();
        shown->set_building_id(b->building_id());
        shown->set_name(b->name());
        shown->set_address(b->address());
        shown->set_tier_path(b->tier_path());
      }
      const double d =
          DistanceMetres(origin.latitude(), origin.longitude(), at.latitude(), at.longitude());
      if (d > radius) continue;
      r.set_distance_m(d);
      found.push_back(std::move(r));
    }
    // Enough, or every candidate within the radius seen.
    if (static_cast<int>(found.size()) >= limit || static_cast<int>(near.size()) < want ||
        want >= kMaxCandidates) {
      break;
    }
    want = std::min(want * 4, kMaxCandidates);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.distance_m() < b.distance_m(); });
  v1::FindNearbyResponse resp;
  for (auto& r : found) {
    if (resp.results_size() == limit) break;
    *resp.add_results() = std::move(r);
  }
  return resp;
}

}  // namespace firegrid::buildings
