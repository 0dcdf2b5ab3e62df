#include "services/hazards/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/events/topics.h"
#include "libs/redis/read_model_check.h"
#include "services/hazards/deadlines.h"
#include "services/hazards/duplicates.h"
#include "services/hazards/idempotency.h"
#include "services/hazards/listing.h"
#include "services/hazards/projection.h"
#include "services/hazards/statistics.h"
#include "services/hazards/timestamps.h"
#include "services/hazards/validation.h"

namespace firegrid::hazards {
namespace {

using auth::Role;
namespace bv1 = ::firegrid::buildings::v1;

constexpr char kProducer[] = "hazards";
constexpr int kScanChunk = 500;
constexpr int kTrendMaxDays = 400;
// The end-of-day snapshot of yesterday is taken only this early in the next day: later, the
// hazards have moved on and the numbers would not be yesterday's.
constexpr absl::Duration kEndOfDayWindow = absl::Hours(6);

// The scope of GetStatistics and GetStatisticsTrend: who may read statistics, of which tier,
// and (department officers) of which department.
struct StatisticsScope {
  std::string tier_path;
  std::string department;  // "" = every department
};

absl::StatusOr<StatisticsScope> ResolveStatisticsScope(const auth::Principal& p,
                                                       const std::string& requested) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role), " may not read statistics"));
  }
  StatisticsScope scope;
  scope.tier_path = requested.empty() ? p.tier_path : requested;
  FG_RETURN_IF_ERROR(ValidateStatisticsScope(scope.tier_path));
  FG_RETURN_IF_ERROR(auth::RequireTier(p, scope.tier_path));
  if (p.role == Role::kDepartmentOfficer) scope.department = p.department;
  return scope;
}

}  // namespace

auth::Principal HazardRegistry::SystemPrincipal() {
  auth::Principal p;
  p.subject = "firegrid-hazards";
  p.role = Role::kInternalService;
  return p;
}

namespace {
constexpr absl::string_view kGetHazardMethod = "/firegrid.hazards.v1.HazardService/GetHazard";
}  // namespace

HazardRegistry::HazardRegistry(HazardStore* store, const Rules* rules, Clock* clock,
                               IdGenerator* ids, HazardMetrics* metrics)
    : store_(store), rules_(rules), clock_(clock), ids_(ids), metrics_(metrics) {}

events::Message HazardRegistry::Event(const google::protobuf::Message& payload,
                                      const v1::Hazard& h) {
  events::Envelope env =
      events::NewEnvelope(payload, kProducer, h.building_id(), h.tier_path(), clock_->Now(), *ids_);
  // Keyed by building; an unmatched public report (no building yet) by its own id.
  return events::Message{std::string(events::kHazardsTopic),
                         h.building_id().empty() ? h.hazard_id() : h.building_id(),
                         env.SerializeAsString()};
}

void HazardRegistry::StatusChanged(const v1::Hazard& after, v1::Status from,
                                   absl::string_view action, const P& actor,
                                   HazardStore::Write* w) {
  v1::HazardStatusChanged e;
  *e.mutable_hazard() = ForEvent(after);
  e.set_from(from);
  e.set_to(after.status());
  e.set_action(std::string(action));
  e.set_actor(actor.subject);
  w->Publish(Event(e, after));
}

absl::StatusOr<v1::Hazard> HazardRegistry::Load(const std::string& id) {
  if (!IsWellFormedId(id, "hzd")) return InvalidField("hazard_id", "is not a hazard id");
  return store_->Get(id);
}

// ----- Report ----------------------------------------------------------------------------------

absl::StatusOr<v1::ReportHazardResponse> HazardRegistry::AlreadyReported(const P& p,
                                                                         const std::string& id) {
  FG_ASSIGN_OR_RETURN(v1::Hazard h, store_->Get(id));
  v1::ReportHazardResponse resp;
  resp.set_duplicate_of(h.duplicate_of());
  resp.set_message("already reported with this idempotency key");
  *resp.mutable_hazard() = Redact(std::move(h), p);
  return resp;
}

absl::StatusOr<v1::ReportHazardResponse> HazardRegistry::Report(
    const P& p, const v1::ReportHazardRequest& req) {
  const absl::Time now = clock_->Now();
  FG_RETURN_IF_ERROR(ValidateReport(p, req));

  const std::string digest = req.idempotency_key().empty() ? "" : ReportDigest(req);
  // The idempotency key, the building and its open hazard of the category: one round trip.
  FG_ASSIGN_OR_RETURN(HazardStore::ReportReads reads,
                      store_->ReadForReport(IdempotencyOwner(p), req.idempotency_key(),
                                            req.building_id(), req.category()));
  if (reads.idempotent.has_value()) {
    FG_RETURN_IF_ERROR(
        CheckSameReport(req.idempotency_key(), reads.idempotent->request_digest, digest));
    return AlreadyReported(p, reads.idempotent->hazard_id);
  }

  v1::Hazard h;
  h.set_hazard_id(ids_->NewId("hzd"));
  if (req.building_id().empty()) {
    // A public report whose place matched no registered building: kept in its street (or
    // district) for the street officer to match or reject; no department routing until then.
    FG_RETURN_IF_ERROR(CanReportUnmatched(p, req.unmatched_tier_path()));
    h.set_tier_path(req.unmatched_tier_path());
    h.set_unmatched(true);
    *h.mutable_routing() = RouteUnmatched(req.unmatched_tier_path());
  } else {
    FG_ASSIGN_OR_RETURN(BuildingView building, std::move(reads.building));
    FG_RETURN_IF_ERROR(CanReport(p, building));
    AttachBuilding(*rules_, building, req.category(), &h);
  }
  h.set_category(req.category());
  h.set_severity(req.severity());
  h.set_source(req.source());
  h.set_description(req.description());
  *h.mutable_evidence() = req.evidence();
  *h.mutable_reporter() = req.reporter();
  h.mutable_reporter()->set_subject(p.subject);
  h.set_channel(ChannelOf(p));
  if (req.has_location()) *h.mutable_location() = req.location();
  *h.mutable_reported_at() = Ts(now);
  *h.mutable_updated_at() = Ts(now);
  h.set_version(1);
  h.set_status(v1::STATUS_REPORTED);
  if (req.has_device_alarm()) *h.mutable_device_alarm() = req.device_alarm();
  {
    auto* e = h.add_audit();
    *e->mutable_at() = Ts(now);
    e->set_actor(p.subject);
    e->set_role(std::string(auth::RoleName(p.role)));
    e->set_action("report");
    e->set_to(v1::STATUS_REPORTED);
    if (req.has_device_alarm()) {
      const v1::DeviceAlarmRef& a = req.device_alarm();
      e->set_note(absl::StrCat("device alarm ", a.alarm_id(), " of device ", a.device_id(),
                               a.alarm_type().empty() ? "" : " (" + a.alarm_type() + ")",
                               a.rule_id().empty() ? "" : ", rule " + a.rule_id()));
    }
  }

  for (int attempt = 0; attempt < 3; ++attempt) {
    // Without a building there is nothing to be a duplicate of (until it is matched). The
    // first attempt uses the open hazard read with the building; the atomic write refuses it
    // if it changed since, and a retry reads it again.
    absl::StatusOr<std::string> open = absl::NotFoundError("no open hazard");
    if (!h.unmatched() && attempt > 0) {
      open = store_->OpenHazardId(h.building_id(), h.category());
    } else if (!h.unmatched() && !reads.open_hazard_id.empty()) {
      open = reads.open_hazard_id;
    }
    if (!open.ok() && open.status().code() != absl::StatusCode::kNotFound) return open.status();
    HazardStore::Write w = store_->NewWrite();
    v1::ReportHazardResponse resp;
    if (open.ok()) {
      // An open hazard of the same building and category: link this report as its duplicate.
      FG_ASSIGN_OR_RETURN(v1::Hazard primary, store_->Get(*open));
      h.set_duplicate_of(primary.hazard_id());
      w.Update(primary, CountDuplicateReport(primary, now));
      resp.set_duplicate_of(primary.hazard_id());
      resp.set_message(
          absl::StrCat("linked as a duplicate of open hazard ", primary.hazard_id(),
                       " of the same building and category; it is already being handled"));
    } else if (h.unmatched()) {
      resp.set_message(
          "reported; no registered building matched the place: the street officer matches it to "
          "a building or rejects it");
    } else {
      w.ClaimOpen(h.building_id(), h.category(), h.hazard_id());
      resp.set_message("reported and routed");
    }
    w.Create(h);
    if (!req.idempotency_key().empty()) {
      w.SetIdempotency(IdempotencyOwner(p), req.idempotency_key(), h.hazard_id(), digest);
    }
    v1::HazardReported reported;
    *reported.mutable_hazard() = ForEvent(h);
    w.Publish(Event(reported, h));
    if (h.duplicate_of().empty()) {
      v1::HazardRouted routed;
      *routed.mutable_hazard() = ForEvent(h);
      w.Publish(Event(routed, h));
    }
    absl::Status s = w.Commit();
    if (s.ok()) {
      log::Info("hazard reported", {{"hazard_id", h.hazard_id()},
                                    {"building_id", h.building_id()},
                                    {"duplicate_of", h.duplicate_of()}});
      if (metrics_ != nullptr && h.duplicate_of().empty()) metrics_->Reported(h.category());
      *resp.mutable_hazard() = Redact(h, p);
      return resp;
    }
    if (s.code() == absl::StatusCode::kAlreadyExists && !req.idempotency_key().empty()) {
      // Either a concurrent retry with the same key won, or the open key was taken meanwhile.
      auto winner = store_->IdempotentReport(IdempotencyOwner(p), req.idempotency_key());
      if (winner.ok()) {
        FG_RETURN_IF_ERROR(CheckSameReport(req.idempotency_key(), winner->request_digest, digest));
        return AlreadyReported(p, winner->hazard_id);
      }
    }
    if (s.code() != absl::StatusCode::kAlreadyExists && s.code() != absl::StatusCode::kAborted) {
      return s;
    }
    h.clear_duplicate_of();  // the open hazard changed under us; decide again
  }
  return absl::AbortedError("concurrent reports of the same hazard; retry");
}

absl::StatusOr<v1::Hazard> HazardRegistry::Get(const P& p, const v1::GetHazardRequest& req) {
  if (req.reveal_personal_data() && p.role != auth::Role::kDistrictAdmin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "role ", auth::RoleName(p.role), " may not reveal personal data (reveal_personal_data)"));
  }
  FG_ASSIGN_OR_RETURN(v1::Hazard h, Load(req.hazard_id()));
  FG_RETURN_IF_ERROR(CanSee(p, h));
  if (!req.reveal_personal_data()) return Redact(std::move(h), p);
  FG_RETURN_IF_ERROR(audit::RecordPersonalDataRead(personal_data_audit_, kGetHazardMethod, p,
                                                   h.hazard_id(), PersonalFields(h)));
  return h;
}

// ----- List ------------------------------------------------------------------------------------

absl::StatusOr<v1::ListHazardsResponse> HazardRegistry::List(const P& p,
                                                             const v1::ListHazardsRequest& req) {
  FG_ASSIGN_OR_RETURN(ListScope scope, ResolveListScope(p, req, *rules_));
  const absl::Time now = clock_->Now();
  const int size = req.page_size() == 0 ? 50 : req.page_size();
  v1::ListHazardsResponse resp;
  const std::string listing = ListingKey(scope, req);
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  for (int round = 0;; ++round) {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page, store_->Scan(scope.department, scope.tier_prefix,
                                                             cursor, ListScanChunk(size, round)));
    bool full = false;
    for (size_t i = 0; i < page.hazards.size(); ++i) {
      v1::Hazard& h = page.hazards[i];
      cursor = h.tier_path() + "|" + h.hazard_id();
      if (!MatchesListing(p, req, h, now)) continue;
      v1::Hazard* kept = resp.add_hazards();
      kept->Swap(&h);  // not copied: h is not read again
      RedactInPlace(p, kept);
      if (resp.hazards_size() == size) {
        full = true;
        if (i + 1 < page.hazards.size() || !page.next_cursor.empty()) {
          resp.set_next_page_token(EncodePageToken(listing, cursor));
        }
        break;
      }
    }
    if (full || page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return resp;
}

// ----- Guidance and statistics -----------------------------------------------------------------

absl::StatusOr<v1::Guidance> HazardRegistry::GetGuidance(const P& p,
                                                         const v1::GetGuidanceRequest& req) {
  FG_RETURN_IF_ERROR(MayReadGuidance(p));
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  return rules_->GuidanceFor(req.category());
}

absl::StatusOr<v1::ListGuidanceResponse> HazardRegistry::ListGuidance(
    const P& p, const v1::ListGuidanceRequest& req) {
  FG_RETURN_IF_ERROR(MayReadGuidance(p));
  v1::ListGuidanceResponse resp;
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    *resp.add_guidance() = rules_->GuidanceFor(static_cast<v1::HazardCategory>(c));
  }
  return resp;
}

absl::StatusOr<readmodels::v1::CheckReadModelsResponse> HazardRegistry::CheckReadModels(
    const P& p, const readmodels::v1::CheckReadModelsRequest& req) {
  FG_RETURN_IF_ERROR(redis::AuthorizeReadModelCheck(p));
  FG_ASSIGN_OR_RETURN(int max, redis::MaxDifferences(req));
  FG_ASSIGN_OR_RETURN(redis::CounterCheck check, store_->counters().Check(*store_));
  return redis::ReadModelCheckResponse("statistics counters", check.records, check.differences,
                                       max);
}

absl::StatusOr<v1::Statistics> HazardRegistry::GetStatistics(const P& p,
                                                             const v1::GetStatisticsRequest& req) {
  FG_ASSIGN_OR_RETURN(StatisticsScope scope, ResolveStatisticsScope(p, req.tier_path()));
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(std::optional<v1::Statistics> counted,
                      store_->counters().Statistics(scope.tier_path, scope.department, now));
  if (counted.has_value()) return *std::move(counted);
  // The counters are still being built (StatisticsCounters::Build at start-up): count by a scan.
  StatisticsTally tally(scope.tier_path, scope.department, now);
  std::string cursor;
  while (true) {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page,
                        store_->Scan(scope.department, scope.tier_path, cursor, kScanChunk));
    for (const auto& h : page.hazards) tally.Add(h);
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return tally.Finish();
}

absl::StatusOr<v1::StatisticsTrend> HazardRegistry::GetStatisticsTrend(
    const P& p, const v1::GetStatisticsTrendRequest& req) {
  FG_ASSIGN_OR_RETURN(StatisticsScope scope, ResolveStatisticsScope(p, req.tier_path()));
  if (req.days() < 0 || req.days() > kTrendMaxDays) {
    return InvalidField("days", absl::StrCat("must be in [0, ", kTrendMaxDays, "] (0: 30)"));
  }
  const int days = req.days() == 0 ? 30 : req.days();
  const absl::CivilDay today = ShanghaiDay(clock_->Now());
  std::vector<std::string> dates;
  for (int i = days - 1; i >= 0; --i) dates.push_back(DayName(today - i));
  FG_ASSIGN_OR_RETURN(auto rows,
                      store_->DailyRows(dates, DailyRowKey(scope.tier_path, scope.department)));
  v1::StatisticsTrend trend;
  trend.set_tier_path(scope.tier_path);
  for (size_t i = 0; i < dates.size(); ++i) {
    if (!rows[i].has_value()) continue;
    v1::DailyStatistics* d = trend.add_days();
    d->set_date(dates[i]);
    *d->mutable_totals() = std::move(*rows[i]);
  }
  return trend;
}

// ----- Daily statistics snapshots --------------------------------------------------------------

absl::StatusOr<std::map<std::string, v1::StatisticsRow>> HazardRegistry::TallyDailyRows(
    absl::Time now) {
  FG_ASSIGN_OR_RETURN(auto counted, store_->counters().DailyRows(now));
  if (counted.has_value()) return *std::move(counted);
  // The counters are still being built: count by a scan.
  DailyTotals totals(now);
  std::string cursor;
  while (true) {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page, store_->Scan("", "", cursor, kScanChunk));
    for (const auto& h : page.hazards) totals.Add(h);
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return totals.Finish();
}

absl::StatusOr<bool> HazardRegistry::SnapshotEndedDay() {
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = ShanghaiDay(now);
  const absl::Time day_start = absl::FromCivil(today, absl::FixedTimeZone(8 * 3600));
  if (now - day_start >= kEndOfDayWindow) return false;  // too late to say how the day ended
  const std::string date = DayName(today - 1);
  FG_ASSIGN_OR_RETURN(HazardStore::DayState state, store_->DailySnapshotState(date));
  if (state.final) return false;  // the usual case: taken already (by this or another replica)
  FG_ASSIGN_OR_RETURN(auto rows, TallyDailyRows(now));
  absl::Status s = store_->PutDailySnapshot(date, rows, /*final=*/true);
  if (s.code() == absl::StatusCode::kAlreadyExists) return false;  // another replica's
  FG_RETURN_IF_ERROR(s);
  log::Info("daily statistics kept", {{"date", date}, {"rows", absl::StrCat(rows.size())}});
  return true;
}

absl::StatusOr<bool> HazardRegistry::SnapshotTodayIfMissing() {
  const absl::Time now = clock_->Now();
  const std::string date = DayName(ShanghaiDay(now));
  FG_ASSIGN_OR_RETURN(HazardStore::DayState state, store_->DailySnapshotState(date));
  if (state.taken) return false;
  FG_ASSIGN_OR_RETURN(auto rows, TallyDailyRows(now));
  absl::Status s = store_->PutDailySnapshot(date, rows, /*final=*/false);
  if (s.code() == absl::StatusCode::kAlreadyExists) return false;
  FG_RETURN_IF_ERROR(s);
  log::Info("statistics of today so far kept", {{"date", date}});
  return true;
}

// ----- Timers ----------------------------------------------------------------------------------

absl::StatusOr<int> HazardRegistry::FireDueTimers(int limit) {
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(std::vector<Timer> due, store_->DueTimers(now, limit));
  const P system = SystemPrincipal();
  int fired = 0;
  for (const Timer& t : due) {
    auto loaded = store_->Get(t.hazard_id);
    HazardStore::Write w = store_->NewWrite();
    w.Consume(t);
    bool effect = false;
    if (loaded.ok()) {
      std::optional<TimerEffect> applied = ApplyTimer(*loaded, t, now, system);
      if (applied.has_value()) {
        v1::Hazard& h = applied->after;
        for (const auto& e : applied->events) w.Publish(Event(*e, h));
        h.set_version(loaded->version() + 1);
        *h.mutable_updated_at() = Ts(now);
        w.Update(*loaded, h);
        effect = true;
      }
    } else if (loaded.status().code() != absl::StatusCode::kNotFound) {
      return loaded.status();
    }
    absl::Status s = w.Commit();
    if (s.ok()) {
      if (effect) {
        ++fired;
        if (metrics_ != nullptr) {
          metrics_->TimerFired(t.kind);
          if (t.kind == Timer::Kind::kOverdue) metrics_->Overdue(loaded->category());
        }
      }
    } else if (s.code() != absl::StatusCode::kAborted) {
      return s;  // ABORTED: another replica consumed it, or the hazard changed; next round
    }
  }
  return fired;
}

// ----- Buildings events ------------------------------------------------------------------------

absl::Status HazardRegistry::HandleBuildingEvent(const events::Envelope& env) {
  if (env.payload().Is<bv1::BuildingRegistered>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingRegistered>(env));
    return store_->PutBuilding(ViewOf(e.building()), env.event_id());
  }
  if (env.payload().Is<bv1::BuildingUpdated>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingUpdated>(env));
    return store_->PutBuilding(ViewOf(e.building()), env.event_id());
  }
  if (env.payload().Is<bv1::ResponsibilityFiled>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::ResponsibilityFiled>(env));
    auto current = store_->GetBuilding(e.building_id());
    if (current.status().code() == absl::StatusCode::kNotFound) {
      // Registered before hazards kept a projection: nothing to update yet.
      return absl::FailedPreconditionError(
          absl::StrCat("responsibility of unknown building ", e.building_id()));
    }
    FG_RETURN_IF_ERROR(current.status());
    return store_->PutBuilding(WithResponsibility(*current, e), env.event_id());
  }
  if (env.payload().Is<bv1::FireAccessNonCompliant>()) return RaiseCampaignHazards(env);
  return absl::OkStatus();  // other events do not concern hazards
}

absl::Status HazardRegistry::RaiseCampaignHazards(const events::Envelope& env) {
  FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::FireAccessNonCompliant>(env));
  const P system = SystemPrincipal();
  for (const v1::ReportHazardRequest& req : CampaignReports(e, env.event_id())) {
    // Deduplicated: an open hazard of the building and category already covers it.
    auto open = store_->OpenHazardId(req.building_id(), req.category());
    if (open.ok()) continue;
    if (open.status().code() != absl::StatusCode::kNotFound) return open.status();
    auto r = Report(system, req);
    if (!r.ok()) {
      if (r.status().code() == absl::StatusCode::kNotFound) {
        return absl::FailedPreconditionError(r.status().message());  // unknown building: DLQ
      }
      return r.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace firegrid::hazards
