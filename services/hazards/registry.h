#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/audit/personal_data.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "services/hazards/lifecycle.h"
#include "services/hazards/metrics.h"
#include "services/hazards/redaction.h"
#include "services/hazards/rules.h"
#include "services/hazards/store.h"

namespace firegrid::hazards {

// The hazards use cases: each RPC loads what it needs from the store, applies the domain rules
// and commits one atomic write with its outbox events. The rules themselves live in their own
// files: validation.h (input), lifecycle.h (who may do what from which state), routing.h
// (departments, street, community), duplicates.h, deadlines.h (timers), statistics.h,
// listing.h, projection.h (building events), redaction.h (what a caller or an event sees),
// idempotency.h, metrics.h.
// The transitions are in transitions.cc. The gRPC adapter only authenticates.
class HazardRegistry {
 public:
  // `metrics` (optional) counts reports, closures, overdue hazards and fired timers.
  HazardRegistry(HazardStore* store, const Rules* rules, Clock* clock, IdGenerator* ids,
                 HazardMetrics* metrics = nullptr);

  // Where reads that reveal personal data are recorded (the service's audit log). Without one,
  // such reads are refused (UNAVAILABLE).
  void set_personal_data_audit(audit::RecordSink sink) { personal_data_audit_ = std::move(sink); }

  using P = auth::Principal;
  absl::StatusOr<v1::ReportHazardResponse> Report(const P& p, const v1::ReportHazardRequest& req);
  // With reveal_personal_data: district admins only (PERMISSION_DENIED, before the hazard is
  // looked up); the hazard's personal fields unmasked, after their read is recorded
  // (audit::RecordPersonalDataRead; UNAVAILABLE when it cannot be).
  absl::StatusOr<v1::Hazard> Get(const P& p, const v1::GetHazardRequest& req);
  absl::StatusOr<v1::ListHazardsResponse> List(const P& p, const v1::ListHazardsRequest& req);

  absl::StatusOr<v1::Hazard> Verify(const P& p, const v1::VerifyHazardRequest& req);
  absl::StatusOr<v1::Hazard> Reject(const P& p, const v1::RejectHazardRequest& req);
  absl::StatusOr<v1::Hazard> Assign(const P& p, const v1::AssignHazardRequest& req);
  absl::StatusOr<v1::Hazard> Start(const P& p, const v1::StartRectificationRequest& req);
  absl::StatusOr<v1::Hazard> Submit(const P& p, const v1::SubmitRectificationRequest& req);
  absl::StatusOr<v1::Hazard> Review(const P& p, const v1::ReviewRectificationRequest& req);
  absl::StatusOr<v1::Hazard> ChangeCategory(const P& p, const v1::ChangeCategoryRequest& req);
  absl::StatusOr<v1::Hazard> Merge(const P& p, const v1::MergeHazardsRequest& req);
  absl::StatusOr<v1::Hazard> Unmerge(const P& p, const v1::UnmergeHazardRequest& req);
  // internal_service only. The hazard must carry the alarm (FAILED_PRECONDITION otherwise);
  // cleared_at: the request's (at most 5 minutes ahead of now, else INVALID_ARGUMENT) or now;
  // once per alarm: device_alarm.cleared_at, an audit entry "device_alarm_cleared" and a
  // HazardDeviceAlarmCleared event in one write; a repeated call returns the hazard unchanged.
  // The status does not change.
  absl::StatusOr<v1::Hazard> NoteDeviceAlarmCleared(const P& p,
                                                    const v1::NoteDeviceAlarmClearedRequest& req);

  absl::StatusOr<v1::Guidance> GetGuidance(const P& p, const v1::GetGuidanceRequest& req);
  absl::StatusOr<v1::ListGuidanceResponse> ListGuidance(const P& p,
                                                        const v1::ListGuidanceRequest& req);
  absl::StatusOr<v1::Statistics> GetStatistics(const P& p, const v1::GetStatisticsRequest& req);
  // The daily snapshots of the scope's totals (the same roles and scopes as GetStatistics; a
  // department officer's rows count their department's hazards), oldest first, for the last
  // `days` days (default 30, at most 400) up to today (Asia/Shanghai).
  absl::StatusOr<v1::StatisticsTrend> GetStatisticsTrend(const P& p,
                                                         const v1::GetStatisticsTrendRequest& req);
  // The statistics counters against a recount of every hazard (district admins; nothing is
  // written): firegridctl rebuild --check.
  absl::StatusOr<readmodels::v1::CheckReadModelsResponse> CheckReadModels(
      const P& p, const readmodels::v1::CheckReadModelsRequest& req);

  // An unmatched public report gets its building (street_officer of its street, district_admin;
  // the building in the caller's jurisdiction): routed like a new report (departments,
  // community; a duplicate when the building has an open hazard of the category), audit
  // "matched", a HazardRouted event (or HazardReported for a duplicate); status stays REPORTED.
  absl::StatusOr<v1::Hazard> MatchPublicReport(const P& p, const v1::MatchPublicReportRequest& req);

  // Daily statistics snapshots (Asia/Shanghai days; kept 400 days). The end-of-day snapshot of
  // yesterday, once the day is over (taken by the first replica to look in the first 6 hours of
  // the next day; later a missing day stays missing): true when this call took it. Exactly once
  // across replicas (a guarded atomic write). Safe to call on every tick.
  absl::StatusOr<bool> SnapshotEndedDay();
  // At start-up: a snapshot of today so far, unless today has one already (true when taken).
  // The end-of-day snapshot replaces it.
  absl::StatusOr<bool> SnapshotTodayIfMissing();

  // Fires the deadline timers due now (due-soon reminders, overdue escalation to the street,
  // escalation to the district). Safe to run on every replica at once: each timer's effect is
  // applied by exactly one of them. Returns how many timers had an effect here.
  absl::StatusOr<int> FireDueTimers(int limit = 100);

  // The consumer of the buildings events: keeps the building projection and raises campaign
  // hazards from fire-access non-compliance. Idempotent by event id.
  absl::Status HandleBuildingEvent(const events::Envelope& envelope);

  // The principal timers and campaign reports act as.
  static auth::Principal SystemPrincipal();

 private:
  // Changes `after` and adds to `write`; events to publish after the status change go to `later`.
  using Apply =
      std::function<absl::Status(const v1::Hazard& before, v1::Hazard* after,
                                 HazardStore::Write* write, std::vector<events::Message>* later)>;
  // Load, check visibility, role, version and state, apply, write atomically.
  absl::StatusOr<v1::Hazard> Transition(const P& p, const std::string& id, int64_t expected_version,
                                        Action action, const Apply& apply);
  absl::StatusOr<v1::Hazard> Load(const std::string& id);
  events::Message Event(const google::protobuf::Message& payload, const v1::Hazard& h);
  void StatusChanged(const v1::Hazard& after, v1::Status from, absl::string_view action,
                     const P& actor, HazardStore::Write* w);
  absl::Status RaiseCampaignHazards(const events::Envelope& envelope);
  absl::StatusOr<v1::ReportHazardResponse> AlreadyReported(const P& p, const std::string& id);
  // Tallies every hazard into the daily rows (statistics.h DailyTotals) at `now`.
  absl::StatusOr<std::map<std::string, v1::StatisticsRow>> TallyDailyRows(absl::Time now);

  HazardStore* store_;
  const Rules* rules_;
  Clock* clock_;
  IdGenerator* ids_;
  HazardMetrics* metrics_;
  audit::RecordSink personal_data_audit_;
};

}  // namespace firegrid::hazards
