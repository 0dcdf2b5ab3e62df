#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "libs/auth/principal.h"
#include "services/hazards/routing.h"

namespace firegrid::hazards {


// The hazard lifecycle as pure functions (流程引导):
//   reported → verified | rejected → assigned → rectifying → submitted → closed,
//   submitted → rectifying when the review fails.
enum class Action {
  kVerify,          // REPORTED → VERIFIED (a major hazard needs N distinct confirmations)
  kReject,          // REPORTED → REJECTED, with a reason
  kAssign,          // VERIFIED → ASSIGNED: responsible party, supervising department, deadline
  kStart,           // ASSIGNED → RECTIFYING
  kSubmit,          // RECTIFYING → SUBMITTED, with evidence
  kReviewPass,      // SUBMITTED → CLOSED
  kReviewFail,      // SUBMITTED → RECTIFYING
  kChangeCategory,  // any open state; re-routes
  kMerge,           // links an open hazard to another as its duplicate
  kUnmerge,         // undoes a merge
  kMatch,           // an unmatched public report gets its building (status stays REPORTED)
};

absl::string_view ActionName(Action a);

// Open: not closed, not rejected.
bool IsOpen(v1::Status s);
// Under rectification (counted as open in statistics): verified .. submitted.
bool IsActive(v1::Status s);

// Whether the principal may see the hazard at all: district admins, street officers and
// community workers by tier; department officers when the hazard is routed to their department
// (lead, assisting or supervising) within their tier; building managers when the building or
// the assignment names them; public channels the reports of their own channel in their
// district (and see them as PublicView, redaction.h); internal services always.
// PERMISSION_DENIED otherwise.
absl::Status CanSee(const auth::Principal& p, const v1::Hazard& h);

// Whether the principal may report a hazard of the building: district admins, street officers,
// community workers, department officers and public channels within their tier; building
// managers of a building that names them; internal services always. PERMISSION_DENIED
// otherwise.
absl::Status CanReport(const auth::Principal& p, const BuildingView& b);

// Whether the principal may file a report with no building, kept unmatched at `tier_path` (a
// street or district code): public channels only, within their district. PERMISSION_DENIED
// otherwise.
absl::Status CanReportUnmatched(const auth::Principal& p, const std::string& tier_path);

// The channel a public_channel principal reports for: its subject after "channel:" ("" for any
// other role).
std::string ChannelOf(const auth::Principal& p);

// The RPCs a public channel may call at all: ReportHazard, GetHazard and ListHazards (its own
// reports, CanSee). Any other method is PERMISSION_DENIED to it before its request is read
// (the gRPC adapter asks this first); OK for every other role (the use cases decide).
absl::Status MayCall(const auth::Principal& p, absl::string_view method);

// Whether the principal may call the read-only RPCs that are neither hazards nor lists of them
// (guidance): every authenticated role but public channels, which may only report, get and list
// their own reports. PERMISSION_DENIED otherwise.
absl::Status MayReadGuidance(const auth::Principal& p);

// Whether the principal's role allows the action on this hazard (after CanSee):
//   verify, reject, change category, assign: district_admin, street_officer, department_officer
//     of a lead department;
//   start, submit: district_admin, street_officer, community_worker, building_manager named as
//     responsible (or by the building);
//   review: district_admin, street_officer, department_officer of the supervising department,
//     never the one who submitted;
//   merge, unmerge, match (an unmatched public report to a building): district_admin,
//     street_officer.
// Public channels may take none of them.
absl::Status Authorize(const auth::Principal& p, const v1::Hazard& h, Action a);

// Whether the principal may name the party liable for the hazard (on verify or assign): a
// department officer of a lead department, a district admin or an internal service.
// PERMISSION_DENIED otherwise — street officers verify and assign, but do not name the liable
// party.
absl::Status MayNameLiableParty(const auth::Principal& p, const v1::Hazard& h);

// Makes `party` the hazard's liable party and records it in the audit trail (action
// "name_liable_party", the status unchanged, the note naming the party by name, role and
// credit code or masked person id). Nothing when it is the liable party already.
void NameLiableParty(v1::Hazard* h, const auth::Principal& p,
                     const ::firegrid::subjects::v1::Party& party, absl::Time now);

// FAILED_PRECONDITION when the action is not allowed from the hazard's current state. An
// unmatched public report may only be matched or rejected (from REPORTED); match needs one.
absl::Status CheckState(const v1::Hazard& h, Action a);

// Sets the status and appends the audit entry.
void Record(v1::Hazard* h, const auth::Principal& p, absl::string_view action, v1::Status to,
            absl::Time now, absl::string_view note);

}  // namespace firegrid::hazards
