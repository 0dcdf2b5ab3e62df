#pragma once

#include <string>
#include <vector>

#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::hazards {

// What a caller may see of a hazard (docs/privacy.md): the reporter's name and contact masked
// for every caller (subjects::MaskName, MaskContact), district admins included; the liable
// party's person id masked (subjects::MaskParty) for all but internal services (the credit
// service keys persons by it; no person reads through them); a public channel sees PublicView.
// Every hazard a response carries (GetHazard, ListHazards, the transitions) passes through it.
v1::Hazard Redact(v1::Hazard h, const auth::Principal& p);
// The same, on `h` itself (a listing redacts each hazard where its response holds it).
void RedactInPlace(const auth::Principal& p, v1::Hazard* h);

// The personal fields a revealing read (GetHazard with reveal_personal_data, district admins
// only) shows unmasked, as the audit record names them: "reporter.name", "reporter.contact",
// "liable_party.person_id", each when the hazard has it.
std::vector<std::string> PersonalFields(const v1::Hazard& h);

// What a public channel sees of its own reports (what Open311 shows of a request): the id, the
// building's id and name, tier path, category, severity, source, description, the report's
// evidence, whether it was anonymous, status, place, channel, unmatched, the routing
// (departments and divisions: the agency responsible), the deadline and supervising department
// of the assignment, the rejection reason, duplicate_of, escalation and overdue, the times and
// version, and the audit trail as status notes: time, role, action, from, to and note of each
// entry, never the actor, and without the entries that name the liable party. Never: the
// reporter's name, contact or subject, the liable party, the building's subjects, the
// responsible party and subject, confirmations (reviewers' subjects), the rectification
// evidence, the reward, the device alarm.
v1::Hazard PublicView(const v1::Hazard& h);
// The hazard as events carry it (an internal topic): no audit trail, no reporter name or contact
// (no consumer needs a tip-off identity); the liable party whole, person id unmasked (the credit
// service rates it).
v1::Hazard ForEvent(v1::Hazard h);

}  // namespace firegrid::hazards
