#pragma once

#include <optional>

#include "firegrid/credit/v1/history.pb.h"
#include "libs/events/envelope.h"

namespace firegrid::credit {

// The credit history's view of the other services' events (pure): the fact an event adds, or
// nullopt for events that do not matter to credit. fact_id = the event id, time = the event
// time, actor = the producer (or HazardStatusChanged.actor).
// - hazards: HazardStatusChanged to VERIFIED → KIND_VERIFIED, to ASSIGNED → KIND_ASSIGNED,
//   to REJECTED → KIND_REJECTED; HazardOverdue → KIND_OVERDUE; HazardClosed → KIND_CLOSED
//   (on_time). The liable party, category, severity, routing and the building's subjects come
//   from the hazard in the payload. Hazards that are duplicates of another are skipped.
//   The supervising department is the assignment's, else the first lead department.
// - buildings: BuildingRegistered and BuildingUpdated → BuildingFact with the building's parties
//   and its chain's principal subjects (responsible person, manager, building head: as the
//   buildings and hazards services name a building's managers); an update whose changed_fields
//   name none of parties, name, tier_path is skipped; ResponsibilityFiled → BuildingFact with
//   managers_only set (the chain changed; the parties did not).
// Events whose payload does not decode are nullopt too (the consumer counts them).
std::optional<v1::Fact> FactFromEnvelope(const events::Envelope& envelope);

}  // namespace firegrid::credit
