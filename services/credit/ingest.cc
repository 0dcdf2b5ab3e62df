#include "services/credit/ingest.h"

#include <algorithm>
#include <string>

#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"

namespace firegrid::credit {

namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

v1::Fact Base(const events::Envelope& e, const std::string& actor) {
  v1::Fact f;
  f.set_fact_id(e.event_id());
  *f.mutable_time() = e.time();
  f.set_actor(actor.empty() ? e.producer() : actor);
  return f;
}

// The hazard as the rules read it; nullopt for duplicates (they count nowhere).
std::optional<v1::Fact> FromHazard(const events::Envelope& e, const hv1::Hazard& h,
                                   v1::HazardFact::Kind kind, const std::string& actor,
                                   bool on_time = false) {
  if (!h.duplicate_of().empty() || h.hazard_id().empty()) return std::nullopt;
  v1::Fact f = Base(e, actor);
  v1::HazardFact* hf = f.mutable_hazard();
  hf->set_kind(kind);
  hf->set_hazard_id(h.hazard_id());
  hf->set_building_id(h.building_id());
  hf->set_building_name(h.building_name());
  hf->set_tier_path(h.tier_path());
  hf->set_category(h.category());
  hf->set_severity(h.severity());
  *hf->mutable_liable_party() = h.liable_party();
  hf->set_supervising_department(
      !h.assignment().supervising_department().empty() ? h.assignment().supervising_department()
      : h.routing().lead_departments().empty()         ? std::string()
                                                       : h.routing().lead_departments(0));
  hf->set_on_time(on_time);
  hf->set_district(h.routing().district());
  *hf->mutable_building_subjects() = h.building_subjects();
  return f;
}

// The principals of a chain who read and hear of the building's subjects (as the buildings and
// hazards services name a building's managers).
void AddManagers(const bv1::ResponsibilityChain& c, v1::BuildingFact* out) {
  for (const auto* s :
       {&c.responsible_person().subject(), &c.manager().subject(), &c.building_head().subject()}) {
    if (!s->empty()) out->add_manager_subjects(*s);
  }
}

v1::Fact FromBuilding(const events::Envelope& e, const bv1::Building& b) {
  v1::Fact f = Base(e, "");
  v1::BuildingFact* bf = f.mutable_building();
  bf->set_building_id(b.building_id());
  bf->set_building_name(b.name());
  bf->set_tier_path(b.tier_path());
  *bf->mutable_parties() = b.parties();
  AddManagers(b.responsibility().chain(), bf);
  return f;
}

template <class T>
bool Is(const events::Envelope& e) {
  return e.type() == T::descriptor()->full_name();
}

}  // namespace

std::optional<v1::Fact> FactFromEnvelope(const events::Envelope& e) {
  if (Is<hv1::HazardStatusChanged>(e)) {
    absl::StatusOr<hv1::HazardStatusChanged> p = events::Unpack<hv1::HazardStatusChanged>(e);
    if (!p.ok()) return std::nullopt;
    switch (p->to()) {
      case hv1::STATUS_VERIFIED:
        return FromHazard(e, p->hazard(), v1::HazardFact::KIND_VERIFIED, p->actor());
      case hv1::STATUS_ASSIGNED:
        return FromHazard(e, p->hazard(), v1::HazardFact::KIND_ASSIGNED, p->actor());
      case hv1::STATUS_REJECTED:
        return FromHazard(e, p->hazard(), v1::HazardFact::KIND_REJECTED, p->actor());
      default:
        return std::nullopt;
    }
  }
  if (Is<hv1::HazardOverdue>(e)) {
    absl::StatusOr<hv1::HazardOverdue> p = events::Unpack<hv1::HazardOverdue>(e);
    if (!p.ok()) return std::nullopt;
    return FromHazard(e, p->hazard(), v1::HazardFact::KIND_OVERDUE, "");
  }
  if (Is<hv1::HazardClosed>(e)) {
    absl::StatusOr<hv1::HazardClosed> p = events::Unpack<hv1::HazardClosed>(e);
    if (!p.ok()) return std::nullopt;
    return FromHazard(e, p->hazard(), v1::HazardFact::KIND_CLOSED, "", p->on_time());
  }
  if (Is<bv1::BuildingRegistered>(e)) {
    absl::StatusOr<bv1::BuildingRegistered> p = events::Unpack<bv1::BuildingRegistered>(e);
    if (!p.ok()) return std::nullopt;
    return FromBuilding(e, p->building());
  }
  if (Is<bv1::BuildingUpdated>(e)) {
    absl::StatusOr<bv1::BuildingUpdated> p = events::Unpack<bv1::BuildingUpdated>(e);
    if (!p.ok()) return std::nullopt;
    // Only what credit reads: the parties, the name, the place (all fields when unnamed).
    const auto& changed = p->changed_fields();
    if (!changed.empty() && std::none_of(changed.begin(), changed.end(), [](const auto& f) {
          return f == "parties" || f == "name" || f == "tier_path";
        })) {
      return std::nullopt;
    }
    return FromBuilding(e, p->building());
  }
  if (Is<bv1::ResponsibilityFiled>(e)) {
    absl::StatusOr<bv1::ResponsibilityFiled> p = events::Unpack<bv1::ResponsibilityFiled>(e);
    if (!p.ok() || p->building_id().empty()) return std::nullopt;
    v1::Fact f = Base(e, "");
    v1::BuildingFact* bf = f.mutable_building();
    bf->set_building_id(p->building_id());
    bf->set_managers_only(true);
    AddManagers(p->chain(), bf);
    return f;
  }
  return std::nullopt;
}

}  // namespace firegrid::credit
