#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::hazards {


// Input rules of the hazards requests: every error is INVALID_ARGUMENT naming the field (or
// PERMISSION_DENIED where the rule is about who may send it).

// Free text: required (not blank) or optional, at most `max` bytes, no control characters other
// than newline and tab.
absl::Status ValidateText(const std::string& value, const std::string& field, bool required,
                          size_t max);

// Evidence: at most 20 items, each an http(s) URL (≤ 2048 bytes, no whitespace) or
// sha256:<64 lower-case hex digits>, with an optional description of ≤ 500 bytes.
absl::Status ValidateEvidence(const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence,
                              const std::string& field);

// A category other than UNSPECIFIED that the enum knows.
bool ValidCategory(int category);

// A ReportHazard request: building id, category, severity and source required; description,
// evidence and reporter within limits; the reporter's subject is server-owned; only public
// tip-offs may be anonymous, and then without name or contact; IoT and campaign reports come
// from internal services or district admins; the idempotency key at most 128 bytes.
// Public channels (role public_channel) file only public tip-offs (PERMISSION_DENIED
// otherwise), always with a `location` (ValidateLocation), and either a building id or, without
// one, an `unmatched_tier_path` (a 6-digit district or 9-digit street code); for everyone else
// a building id is required and `location` / `unmatched_tier_path` are PERMISSION_DENIED.
// A device_alarm (internal_service only, PERMISSION_DENIED otherwise) requires source IoT and a
// valid ValidateDeviceAlarm.
absl::Status ValidateReport(const auth::Principal& p, const v1::ReportHazardRequest& req);

// The device alarm behind an IoT report: alarm_id "alm_" and 1–60 of [A-Za-z0-9_]; device_id
// 3–64 of [A-Za-z0-9._-] (as monitoring's device ids); alarm_type an enum name (≤ 64 of
// [A-Z0-9_]), rule_id ≤ 64 of [A-Za-z0-9._-], details ≤ 1000 bytes of text, both optional;
// cleared_at server-owned. Errors name "<field>.<member>".
absl::Status ValidateDeviceAlarm(const v1::DeviceAlarmRef& alarm, const std::string& field);

// A NoteDeviceAlarmCleared request: a hazard id, an alarm id (as above, named "alarm_id"), a
// note of at most 1000 bytes of text.
absl::Status ValidateNoteDeviceAlarmCleared(const v1::NoteDeviceAlarmClearedRequest& req);

// The liable party a Verify or Assign request names, normalised (subjects::NormalizeParty) and
// well-formed (subjects::ValidateParty): errors name the field as "liable_party.<field>".
absl::StatusOr<::firegrid::subjects::v1::Party> NormalizedLiableParty(
    ::firegrid::subjects::v1::Party party);

// The place of a public report: latitude in [-90, 90], longitude in [-180, 180] (finite), an
// address of at most 500 bytes of text; coordinates (not both 0) or an address, or both.
// Errors name "<field>.latitude" etc.
absl::Status ValidateLocation(const v1::Location& location, const std::string& field);

// A MatchPublicReport request: a hazard id, a building id, a note of at most 2000 bytes.
// (expected_version is checked with the hazard, as for every transition.)
absl::Status ValidateMatch(const v1::MatchPublicReportRequest& req);

// A public channel's name (the part of "channel:<name>" ListHazards filters by): 1 to 64 of
// [a-z0-9_-].
absl::Status ValidateChannelName(const std::string& channel, const std::string& field);

// A statistics scope: a 6, 9 or 12-digit division code.
absl::Status ValidateStatisticsScope(const std::string& tier_path);

}  // namespace firegrid::hazards
