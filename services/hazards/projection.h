#pragma once

#include <string>
#include <vector>

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "services/hazards/routing.h"

namespace firegrid::hazards {

// What hazards keeps of the buildings events: the building projection (name, place, use and the
// principals its responsibility chain names), and the campaign hazards a fire-access assessment
// raises.

// The projection of a registered or updated building.
BuildingView ViewOf(const ::firegrid::buildings::v1::Building& b);

// The projection after a responsibility filing: the chain's principals replace the old ones.
BuildingView WithResponsibility(BuildingView v,
                                const ::firegrid::buildings::v1::ResponsibilityFiled& e);

// The campaign reports of a non-compliant fire-access assessment: one per category found
// (occupied lane, missing marking, lane geometry for every other violation), general severity,
// the violations as description (≤ 4000 bytes), an idempotency key per (event, category).
std::vector<v1::ReportHazardRequest> CampaignReports(
    const ::firegrid::buildings::v1::FireAccessNonCompliant& e, const std::string& event_id);

}  // namespace firegrid::hazards
