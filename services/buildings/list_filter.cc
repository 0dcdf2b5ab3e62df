#include "services/buildings/list_filter.h"

#include <algorithm>

#include "libs/common/status.h"
#include "services/buildings/ledger.h"

namespace firegrid::buildings {

absl::Status ValidateBuildingFilter(const v1::ListBuildingsRequest& req) {
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
  return absl::OkStatus();
}

bool MatchesBuildingFilter(const v1::ListBuildingsRequest& req, const v1::Building& b) {
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
  if (req.has_fire_access_compliant() && b.fire_access_compliant() != req.fire_access_compliant()) {
    return false;
  }
  if (!req.filing_states().empty() &&
      std::find(req.filing_states().begin(), req.filing_states().end(),
                b.responsibility().filing_state()) == req.filing_states().end()) {
    return false;
  }
  const Completeness k = CompletenessOf(b);
  if (req.has_with_lanes() && k.has_lanes != req.with_lanes()) return false;
  if (req.has_lanes_marked() && k.lanes_marked != req.lanes_marked()) return false;
  if (req.has_with_indoor_hydrants() && k.has_indoor_hydrant != req.with_indoor_hydrants()) {
    return false;
  }
  if (req.has_indoor_hydrants_with_water() &&
      k.hydrant_with_water != req.indoor_hydrants_with_water()) {
    return false;
  }
  if (req.incomplete_only() && k.complete()) return false;
  return true;
}

}  // namespace firegrid::buildings
