#include "services/monitoring/projection.h"

#include <cmath>
#include <optional>
#include <utility>

#include "google/protobuf/util/time_util.h"
#include "libs/common/status.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using TimeUtil = ::google::protobuf::util::TimeUtil;

// Devices read per page, and attempts per device, when a building's devices are brought in
// line with it.
constexpr int kSyncPage = 500;
constexpr int kSyncAttempts = 5;

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

absl::Status SyncBuildingDevices(const v1::BuildingView& view, absl::Time now, DeviceStore* store,
                                 IdGenerator& ids) {
  std::string after;
  for (;;) {
    FG_ASSIGN_OR_RETURN(std::vector<v1::Device> page,
                        store->ListByBuilding(view.building_id(), after, kSyncPage));
    for (const v1::Device& listed : page) {
      v1::Device d = listed;
      for (int attempt = 0;; ++attempt) {
        if (d.tier_path() == view.tier_path() && d.building_name() == view.name()) break;
        v1::Device updated = d;
        updated.set_tier_path(view.tier_path());
        updated.set_building_name(view.name());
        updated.set_version(d.version() + 1);
        *updated.mutable_updated_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(now));
        v1::DeviceUpdated payload;
        *payload.mutable_device() = updated;
        payload.set_previous_status(d.status());
        const events::Envelope env = events::NewEnvelope(payload, "monitoring", view.building_id(),
                                                         view.tier_path(), now, ids);
        absl::Status s = store->Update(updated, d.version(), events::SerializeEnvelope(env));
        if (!absl::IsAborted(s) || attempt + 1 >= kSyncAttempts) {
          FG_RETURN_IF_ERROR(s);
          break;
        }
        FG_ASSIGN_OR_RETURN(d, store->Get(d.device_id()));  // changed meanwhile: again
      }
      after = listed.device_id();
    }
    if (static_cast<int>(page.size()) < kSyncPage) return absl::OkStatus();
  }
}

absl::Status HandleBuildingsEvent(const events::Envelope& envelope, DeviceStore* store,
                                  IdGenerator* ids) {
  static RandomIdGenerator* const kRandomIds = new RandomIdGenerator();
  IdGenerator& event_ids = ids == nullptr ? *kRandomIds : *ids;
  const auto& payload = envelope.payload();
  std::optional<bv1::Building> building;
  if (payload.Is<bv1::BuildingRegistered>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingRegistered>(envelope));
    building = e.building();
  } else if (payload.Is<bv1::BuildingUpdated>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingUpdated>(envelope));
    building = e.building();
  }
  if (building.has_value()) {
    FG_RETURN_IF_ERROR(store->PutBuilding(ViewOf(*building)));
    // The stored view, which a late event does not replace.
    FG_ASSIGN_OR_RETURN(v1::BuildingView stored, store->GetBuilding(building->building_id()));
    const absl::Time now = absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(envelope.time()));
    return SyncBuildingDevices(stored, now, store, event_ids);
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
    // What the GEO index takes (the buildings service validates the same): anything else would
    // fail the write on every redelivery instead of going to the dead letters.
    const auto& at = e.station().location();
    if (e.station().has_location() &&
        (!std::isfinite(at.latitude()) || !std::isfinite(at.longitude()) ||
         std::abs(at.latitude()) > 85.05 || std::abs(at.longitude()) > 180)) {
      return InvalidField("station.location", "outside the latitudes and longitudes mapped");
    }
    return store->PutStation(e.station());
  }
  return absl::OkStatus();
}

}  // namespace firegrid::monitoring
