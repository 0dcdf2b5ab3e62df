#include "services/hazards/routing.h"

#include <algorithm>

namespace firegrid::hazards {

v1::Routing Route(const Rules& rules, v1::HazardCategory category, const BuildingView& b) {
  const auto& rule = rules.RoutingFor(category);
  v1::Routing r;
  *r.mutable_lead_departments() = rule.lead_departments();
  auto named = [&](const std::string& d) {
    return std::find(r.lead_departments().begin(), r.lead_departments().end(), d) !=
               r.lead_departments().end() ||
           std::find(r.assisting_departments().begin(), r.assisting_departments().end(), d) !=
               r.assisting_departments().end();
  };
  for (const auto& d : rule.assisting_departments()) {
    if (!named(d)) r.add_assisting_departments(d);
  }
  const std::string sector = rules.SectorDepartment(b.use);
  if (!sector.empty() && !named(sector)) r.add_assisting_departments(sector);
  if (b.tier_path.size() >= 6) r.set_district(b.tier_path.substr(0, 6));
  if (b.tier_path.size() >= 9) r.set_street(b.tier_path.substr(0, 9));
  if (b.tier_path.size() >= 12) r.set_community(b.tier_path.substr(0, 12));
  *r.mutable_plan_tasks() = rule.plan_tasks();
  return r;
}

void AttachBuilding(const Rules& rules, const BuildingView& building, v1::HazardCategory category,
                    v1::Hazard* h) {
  h->set_building_id(building.building_id);
  h->set_building_name(building.name);
  h->set_tier_path(building.tier_path);
  h->clear_building_subjects();
  for (const auto& s : building.subjects) h->add_building_subjects(s);
  if (building.liable_party) *h->mutable_liable_party() = *building.liable_party;
  *h->mutable_routing() = Route(rules, category, building);
}

v1::Routing RouteUnmatched(const std::string& tier_path) {
  v1::Routing r;
  if (tier_path.size() >= 6) r.set_district(tier_path.substr(0, 6));
  if (tier_path.size() >= 9) r.set_street(tier_path.substr(0, 9));
  return r;
}

std::vector<std::string> RoutedDepartments(const v1::Routing& routing) {
  std::vector<std::string> out(routing.lead_departments().begin(),
                               routing.lead_departments().end());
  for (const auto& d : routing.assisting_departments()) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

}  // namespace firegrid::hazards
