#pragma once

#include <optional>
#include <string>
#include <vector>

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "services/hazards/routing.h"

namespace firegrid::hazards {

// What hazards keeps of the buildings events: the building projection (name, place, use, the
// principals its responsibility chain names and the party liable for its hazards), and the campaign
// hazards a fire-access assessment raises.

// The projection of a registered or updated building (an update's parties replace the old ones).
BuildingView ViewOf(const ::firegrid::buildings::v1::Building& b);

// The party liable by default for a hazard of the building: its first management unit, else its
// first property company, else its first owner (in the order the building lists them); none
// when it names none of these.
std::optional<::firegrid::subjects::v1::Party> DefaultLiableParty(
    const ::firegrid::buildings::v1::Building& b);

// The projection after a responsibility filing: the chain's principals replace the old ones
// (the liable party stays).
BuildingView WithResponsibility(BuildingView v,
                                const ::firegrid::buildings::v1::ResponsibilityFiled& e);

// The campaign reports of a non-compliant fire-access assessment: one per category found
// (occupied lane, missing marking, lane geometry for every other violation), general severity,
// the violations as description (≤ 4000 bytes), an idempotency key per (event, category).
std::vector<v1::ReportHazardRequest> CampaignReports(
    const ::firegrid::buildings::v1::FireAccessNonCompliant& e, const std::string& event_id);

}  // namespace firegrid::hazards
