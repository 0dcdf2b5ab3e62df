#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/events/envelope.h"
#include "services/notify/inbox_keys.h"

namespace firegrid::notify {

// One notification for a set of recipients.
struct Planned {
  std::vector<std::string> recipients;
  v1::Notification notification;
  // What makes its delivery happen once (Notifier::Notify's once_key); empty: the event id and
  // the plan's index (OnceKeyOf).
  std::string once_key;
};

// Who must hear of an event, and what they are told (pure; the consumer delivers it):
// - HazardRouted: a hazard task (acknowledgement required) for each lead department and the
//   community; information for each assisting department, the street, and the building's
//   subjects (its manager and responsible person). An unmatched public report (no building)
//   instead: a hazard task (acknowledgement required) for its street — for the district when it
//   is kept at the district's code — to match it to a building (MatchPublicReport) or reject it,
//   titled by its address (else its coordinates); once matched, its HazardRouted is planned as
//   any other.
// - HazardReported as a duplicate: the reporter is told which hazard it joined.
// - HazardStatusChanged: assigned → the responsible subject (task, ack required), the
//   supervising department, the community; submitted → the supervising department (to review);
//   review failed → the responsible subject and the community; rejected → the reporter and the
//   community; verified → the community.
// - HazardDueSoon / HazardOverdue: reminders to the responsible subject, the community and the
//   supervising department (overdue: the street too).
// - HazardEscalated: the org unit escalated to.
// - HazardClosed: the lead departments, the community and the reporter.
// - FacilityStatusChanged to a fault, no water or disabled: the community and fire rescue.
// - FireAccessNonCompliant: the community and the street.
// - Credit events (KIND_CREDIT, no acknowledgement; credit_subject_id and tier_path = the first
//   of SubjectRef.tier_paths set) for SubjectRef.notify_subjects (the subject's accounts and its
//   buildings' managers) and its supervising department ("org:<district>.<slug>"):
//   LevelChanged (level and score from → to, the rule, the cause), ScoreChanged (score from →
//   to, the level after, the rule, the cause; nothing when the score stayed), BlacklistProposed
//   (the notice: reason, legal basis, the objection deadline and how to object), Blacklisted (from
//   when, until when, how to apply for credit repair), BlacklistRemoved (withdrawn, expired or
//   repaired). A record that moves the level comes as a ScoreChanged and a LevelChanged: both plan
//   one notification with the same once_key ("credit-record:<rules version>:<record id>"), so the
//   first of the two to arrive is delivered and the other adds nothing: one notification per
//   change and recipient.
// - Monitoring AlarmRaised with a dispatch (a fire alarm, or another dispatching rule such as
//   combustible gas): KIND_FIRE_ALARM, PRIORITY_URGENT, acknowledgement required, for the
//   dispatch's recipients (the nearest micro fire stations "org:mfs_...", the building's
//   managers, its community, the district's fire rescue); titled "火警：<building> <floor>层
//   <point>" (the alarm type's name instead of 火警 for other rules), the body giving the
//   address, the stations with distance and phone, the device and the time; alarm_id,
//   device_id, building_id, tier_path set. AlarmRaised without a dispatch and the other
//   monitoring events yield nothing (the hazards filed for lasting faults carry those).
// - HazardDeviceAlarmCleared: KIND_HAZARD_UPDATE to the lead departments, the community and the
//   responsible subject (when assigned): the device alarm cleared (with its note), and the
//   hazard's rectification still needs review.
// Other events yield nothing. Recipients are unique within a Planned; system subjects, public
// channels ("channel:<name>": no person inbox; the public follows its report through Open311)
// and empty subjects are skipped. Every notification carries the envelope's trace id (TraceIdOf).
std::vector<Planned> PlanNotifications(const events::Envelope& envelope);

// What the consumer does with one event: delivers PlanNotifications(envelope), each under its
// OnceKeyOf, through `notifier->NotifyEach` (the inbox writes them in one atomic write). A plan
// delivered before (ALREADY_EXISTS: a redelivered event, or the other event of the same credit
// record) is no error.
absl::Status NotifyEvent(const events::Envelope& envelope, Notifier* notifier);
// NotifyEvent, counting the recipients reached for the first time: the recipients of each plan
// the notifier delivered now (0 for plans delivered before).
absl::StatusOr<int> DeliverEvent(const events::Envelope& envelope, Notifier* notifier);

// The once key of the `index`-th plan of `envelope`: planned.once_key, else
// "<event id>:<index>".
std::string OnceKeyOf(const events::Envelope& envelope, const Planned& planned, size_t index);

// The trace id of a W3C traceparent ("00-<32 hex trace id>-<16 hex span id>-<2 hex flags>",
// lowercase; a future version's longer form accepted by its first four fields): the trace id,
// or "" when the header is missing or malformed, or the trace id or span id is all zeros.
std::string TraceIdOf(absl::string_view traceparent);

// Micro fire station ids (their org unit codes) start with this.
inline constexpr char kMicroStationPrefix[] = "mfs_";

// The recipient one tier up, for re-notifying an unacknowledged task: community → street →
// district; a department → its district; a person or a micro fire station ("org:mfs_...") →
// the community of `tier_path` (a station: else its street, else its district). Empty when
// there is none (a district).
std::string NextTierUp(const std::string& recipient, const std::string& tier_path);

}  // namespace firegrid::notify
