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

// Every department the routing names (leads first), without repeats.
std::vector<std::string> RoutedDepartments(const v1::Routing& routing);

}  // namespace firegrid::hazards
