#include "services/monitoring/projection.h"

#include <utility>

#include "libs/common/status.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;

void SetSubjects(const bv1::ResponsibilityChain& c, v1::BuildingView* v) {
  v->clear_subjects();
  for (const auto* s :
       {&c.responsible_person().subject(), &c.manager().subject(), &c.building_head().subject()}) {
    if (!s->empty()) v->add_subjects(*s);
  }
}

}  // namespace

v1::BuildingView ViewOf(const bv1::Building& b) {
  v1::BuildingView v;
  v.set_building_id(b.building_id());
  v.set_name(b.name());
  v.set_address(b.address());
  v.set_tier_path(b.tier_path());
  if (b.has_location()) *v.mutable_location() = b.location();
  v.set_version(b.version());
  SetSubjects(b.responsibility().chain(), &v);
  return v;
}

v1::BuildingView WithResponsibility(v1::BuildingView v, const bv1::ResponsibilityFiled& e) {
  v.set_version(e.building_version());
  SetSubjects(e.chain(), &v);
  return v;
}

absl::Status HandleBuildingsEvent(const events::Envelope& envelope, DeviceStore* store) {
  const auto& payload = envelope.payload();
  if (payload.Is<bv1::BuildingRegistered>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingRegistered>(envelope));
    return store->PutBuilding(ViewOf(e.building()));
  }
  if (payload.Is<bv1::BuildingUpdated>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingUpdated>(envelope));
    return store->PutBuilding(ViewOf(e.building()));
  }
  if (payload.Is<bv1::ResponsibilityFiled>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::ResponsibilityFiled>(envelope));
    absl::StatusOr<v1::BuildingView> current = store->GetBuilding(e.building_id());
    if (absl::IsNotFound(current.status())) return absl::OkStatus();
    if (!current.ok()) return current.status();
    if (current->version() > e.building_version()) return absl::OkStatus();  // a late filing
    return store->PutBuilding(WithResponsibility(*std::move(current), e));
  }
  if (payload.Is<bv1::MicroStationRegistered>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::MicroStationRegistered>(envelope));
    if (e.station().station_id().empty()) {
      return InvalidField("station.station_id", "required");
    }
    return store->PutStation(e.station());
  }
  return absl::OkStatus();
}

}  // namespace firegrid::monitoring
