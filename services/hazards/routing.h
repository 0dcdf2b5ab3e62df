#pragma once

#include <optional>
#include <string>
#include <vector>

#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "services/hazards/rules.h"

namespace firegrid::hazards {

// What hazards knows of a building, projected from the buildings events.
struct BuildingView {
  std::string building_id;
  std::string name;
  std::string tier_path;              // 12-digit community code
  int use = 0;                        // firegrid.buildings.v1.BuildingUse
  std::vector<std::string> subjects;  // principals its responsibility chain names
  // The party liable for its hazards unless the lead department names another: its management
  // unit, else its property company, else its owner (DefaultLiableParty, projection.h).
  std::optional<::firegrid::subjects::v1::Party> liable_party;
  int64_t version = 0;
};

// Category + the building's place + its use → lead and assisting departments, the street and
// the community (隐患推送). The sector department of the use is added as an assisting
// department unless it already leads.
v1::Routing Route(const Rules& rules, v1::HazardCategory category, const BuildingView& building);

// Places the hazard at the building: its id, name, tier path, subjects, default liable party
// and the routing of `category` there (a new report, or an unmatched one being matched).
void AttachBuilding(const Rules& rules, const BuildingView& building, v1::HazardCategory category,
                    v1::Hazard* h);

// An unmatched public report kept at `tier_path` (a street or district code): its district and,
// for a street code, its street (whose officer matches or rejects it); no departments and no
// community until it is matched to a building.
v1::Routing RouteUnmatched(const std::string& tier_path);

// Every department the routing names (leads first), without repeats.
std::vector<std::string> RoutedDepartments(const v1::Routing& routing);

}  // namespace firegrid::hazards
