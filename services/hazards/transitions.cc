// The lifecycle transitions of HazardRegistry: load, authorise, check the state and version,
// apply, and write the hazard with its events atomically. The rules they apply are in
// lifecycle.h (who, from which state), validation.h, deadlines.h and duplicates.h.
#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/proto_json.h"
#include "libs/common/status.h"
#include "services/hazards/deadlines.h"
#include "services/hazards/duplicates.h"
#include "services/hazards/registry.h"
#include "services/hazards/timestamps.h"
#include "services/hazards/validation.h"

namespace firegrid::hazards {
namespace {

std::string CategoryWords(v1::HazardCategory c) {
  return EnumLabel(v1::HazardCategory_descriptor(), c);
}

}  // namespace

absl::StatusOr<v1::Hazard> HazardRegistry::Transition(const P& p, const std::string& id,
                                                      int64_t expected_version, Action action,
                                                      const Apply& apply) {
  FG_ASSIGN_OR_RETURN(v1::Hazard before, Load(id));
  FG_RETURN_IF_ERROR(CanSee(p, before));
  FG_RETURN_IF_ERROR(Authorize(p, before, action));
  if (expected_version <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  if (before.version() != expected_version) {
    return absl::AbortedError(absl::StrCat("hazard ", id, " is at version ", before.version(),
                                           ", not ", expected_version, "; read it again"));
  }
  FG_RETURN_IF_ERROR(CheckState(before, action));
  v1::Hazard after = before;
  HazardStore::Write w = store_->NewWrite();
  std::vector<events::Message> later;
  FG_RETURN_IF_ERROR(apply(before, &after, &w, &later));
  after.set_version(before.version() + 1);
  *after.mutable_updated_at() = Ts(clock_->Now());
  w.Update(before, after);
  if (after.status() != before.status()) {
    StatusChanged(after, before.status(), ActionName(action), p, &w);
  }
  for (auto& m : later) w.Publish(std::move(m));
  FG_RETURN_IF_ERROR(w.Commit());
  return Redact(std::move(after), p);
}

absl::StatusOr<v1::Hazard> HazardRegistry::Verify(const P& p, const v1::VerifyHazardRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  std::optional<subjects::v1::Party> liable;
  if (req.has_liable_party()) {
    FG_ASSIGN_OR_RETURN(liable, NormalizedLiableParty(req.liable_party()));
  }
  return Transition(
      p, req.hazard_id(), req.expected_version(), Action::kVerify,
      [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write*,
          std::vector<events::Message>*) -> absl::Status {
        const absl::Time now = clock_->Now();
        if (liable) {
          FG_RETURN_IF_ERROR(MayNameLiableParty(p, before));
          NameLiableParty(h, p, *liable, now);
        }
        if (h->severity() == v1::SEVERITY_MAJOR) {
          if (std::find(h->confirmations().begin(), h->confirmations().end(), p.subject) !=
              h->confirmations().end()) {
            return absl::FailedPreconditionError(
                "you have confirmed this major hazard already; it needs other reviewers");
          }
          h->add_confirmations(p.subject);
          if (h->confirmations_size() < rules_->major_confirmations()) {
            Record(h, p, "confirm", v1::STATUS_REPORTED, now,
                   absl::StrCat(req.note(), req.note().empty() ? "" : " ", "(",
                                h->confirmations_size(), "/", rules_->major_confirmations(),
                                " confirmations)"));
            return absl::OkStatus();
          }
        }
        Record(h, p, "verify", v1::STATUS_VERIFIED, now, req.note());
        if (h->source() == v1::SOURCE_PUBLIC_TIP_OFF && !h->reporter().anonymous() &&
            !h->reporter().name().empty()) {
          h->mutable_reward()->set_amount_yuan(h->severity() == v1::SEVERITY_MAJOR
                                                   ? rules_->proto().reward_major_yuan()
                                                   : rules_->proto().reward_general_yuan());
          *h->mutable_reward()->mutable_recorded_at() = Ts(now);
          h->mutable_reward()->set_recorded_by(p.subject);
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Reject(const P& p, const v1::RejectHazardRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.reason(), "reason", true, 2000));
  return Transition(p, req.hazard_id(), req.expected_version(), Action::kReject,
                    [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write* w,
                        std::vector<events::Message>* later) -> absl::Status {
                      h->set_rejection_reason(req.reason());
                      Record(h, p, "reject", v1::STATUS_REJECTED, clock_->Now(), req.reason());
                      w->Schedule(ReporterErasureTimer(*rules_, *h, clock_->Now()));
                      // An unmatched public report holds no open key (it has no building).
                      if (!h->unmatched()) {
                        w->ReleaseOpen(h->building_id(), h->category(), h->hazard_id());
                      }
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Assign(const P& p, const v1::AssignHazardRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.responsible_party(), "responsible_party", true, 200));
  FG_RETURN_IF_ERROR(ValidateText(req.responsible_subject(), "responsible_subject", false, 128));
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  if (!req.supervising_department().empty() &&
      !rules_->IsDepartment(req.supervising_department())) {
    return InvalidField("supervising_department",
                        absl::StrCat("unknown department '", req.supervising_department(), "'"));
  }
  std::optional<subjects::v1::Party> liable;
  if (req.has_liable_party()) {
    FG_ASSIGN_OR_RETURN(liable, NormalizedLiableParty(req.liable_party()));
  }
  const absl::Time now = clock_->Now();
  if (req.has_deadline()) {
    const absl::Time d = FromTs(req.deadline());
    if (d <= now) return InvalidField("deadline", "is in the past");
    if (d > now + absl::Hours(24 * 366))
      return InvalidField("deadline", "is more than a year away");
  }
  return Transition(p, req.hazard_id(), req.expected_version(), Action::kAssign,
                    [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write* w,
                        std::vector<events::Message>* later) -> absl::Status {
                      if (liable) {
                        FG_RETURN_IF_ERROR(MayNameLiableParty(p, before));
                        NameLiableParty(h, p, *liable, now);
                      }
                      auto* a = h->mutable_assignment();
                      a->set_responsible_party(req.responsible_party());
                      a->set_responsible_subject(req.responsible_subject());
                      a->set_supervising_department(req.supervising_department().empty()
                                                        ? h->routing().lead_departments(0)
                                                        : req.supervising_department());
                      *a->mutable_deadline() =
                          req.has_deadline()
                              ? req.deadline()
                              : Ts(now + rules_->Period(h->severity(), h->category()));
                      Record(h, p, "assign", v1::STATUS_ASSIGNED, now,
                             absl::StrCat(req.note(), req.note().empty() ? "" : "; ", "deadline ",
                                          absl::FormatTime("%Y-%m-%d %H:%M", FromTs(a->deadline()),
                                                           absl::FixedTimeZone(8 * 3600))));
                      for (const Timer& t : TimersFor(*rules_, *h, now)) w->Schedule(t);
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Start(const P& p,
                                                 const v1::StartRectificationRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  return Transition(
      p, req.hazard_id(), req.expected_version(), Action::kStart,
      [&](const v1::Hazard&, v1::Hazard* h, HazardStore::Write*, std::vector<events::Message>*) {
        Record(h, p, "start", v1::STATUS_RECTIFYING, clock_->Now(), req.note());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Submit(const P& p,
                                                  const v1::SubmitRectificationRequest& req) {
  if (req.evidence().empty()) return InvalidField("evidence", "at least one item is required");
  FG_RETURN_IF_ERROR(ValidateEvidence(req.evidence(), "evidence"));
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  return Transition(
      p, req.hazard_id(), req.expected_version(), Action::kSubmit,
      [&](const v1::Hazard&, v1::Hazard* h, HazardStore::Write*, std::vector<events::Message>*) {
        for (const auto& e : req.evidence()) *h->add_rectification_evidence() = e;
        Record(h, p, "submit", v1::STATUS_SUBMITTED, clock_->Now(), req.note());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Review(const P& p,
                                                  const v1::ReviewRectificationRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", !req.passed(), 2000));
  const Action action = req.passed() ? Action::kReviewPass : Action::kReviewFail;
  absl::StatusOr<v1::Hazard> reviewed =
      Transition(p, req.hazard_id(), req.expected_version(), action,
                 [&](const v1::Hazard&, v1::Hazard* h, HazardStore::Write* w,
                     std::vector<events::Message>* later) -> absl::Status {
                   const absl::Time now = clock_->Now();
                   if (!req.passed()) {
                     Record(h, p, "review_fail", v1::STATUS_RECTIFYING, now, req.note());
                     return absl::OkStatus();
                   }
                   Record(h, p, "review_pass", v1::STATUS_CLOSED, now, req.note());
                   *h->mutable_closed_at() = Ts(now);
                   h->set_closed_on_time(now <= FromTs(h->assignment().deadline()));
                   w->ReleaseOpen(h->building_id(), h->category(), h->hazard_id());
                   for (const Timer& t : TimersFor(*rules_, *h, FromTs(h->assignment().deadline())))
                     w->Cancel(t);
                   w->Schedule(ReporterErasureTimer(*rules_, *h, now));
                   v1::HazardClosed closed;
                   *closed.mutable_hazard() = ForEvent(*h);
                   closed.set_on_time(h->closed_on_time());
                   later->push_back(Event(closed, *h));
                   return absl::OkStatus();
                 });
  if (reviewed.ok() && req.passed() && metrics_ != nullptr) metrics_->Closed(reviewed->category());
  return reviewed;
}

absl::StatusOr<v1::Hazard> HazardRegistry::ChangeCategory(const P& p,
                                                          const v1::ChangeCategoryRequest& req) {
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  FG_ASSIGN_OR_RETURN(v1::Hazard current, Load(req.hazard_id()));
  if (current.unmatched()) {
    // Nothing to re-route before it has a building; the state check says what to do.
    FG_RETURN_IF_ERROR(CanSee(p, current));
    FG_RETURN_IF_ERROR(Authorize(p, current, Action::kChangeCategory));
    FG_RETURN_IF_ERROR(CheckState(current, Action::kChangeCategory));
  }
  FG_ASSIGN_OR_RETURN(BuildingView building, store_->GetBuilding(current.building_id()));
  return Transition(
      p, req.hazard_id(), req.expected_version(), Action::kChangeCategory,
      [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write* w,
          std::vector<events::Message>* later) -> absl::Status {
        if (req.category() == before.category()) {
          return InvalidField("category", "is the hazard's category already");
        }
        h->set_category(req.category());
        *h->mutable_routing() = Route(*rules_, req.category(), building);
        Record(h, p, "change_category", h->status(), clock_->Now(),
               absl::StrCat(CategoryWords(before.category()), " → ", CategoryWords(req.category()),
                            req.note().empty() ? "" : "; ", req.note()));
        w->ReleaseOpen(before.building_id(), before.category(), before.hazard_id());
        w->ClaimOpen(before.building_id(), req.category(), before.hazard_id());
        v1::HazardRouted routed;
        *routed.mutable_hazard() = ForEvent(*h);
        *routed.mutable_previous_routing() = before.routing();
        later->push_back(Event(routed, *h));
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Merge(const P& p, const v1::MergeHazardsRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  if (req.hazard_id() == req.target_hazard_id()) {
    return InvalidField("target_hazard_id", "must be another hazard");
  }
  FG_ASSIGN_OR_RETURN(v1::Hazard dup, Load(req.hazard_id()));
  FG_ASSIGN_OR_RETURN(v1::Hazard target, Load(req.target_hazard_id()));
  FG_RETURN_IF_ERROR(CanSee(p, dup));
  FG_RETURN_IF_ERROR(CanSee(p, target));
  FG_RETURN_IF_ERROR(Authorize(p, dup, Action::kMerge));
  FG_RETURN_IF_ERROR(CheckState(dup, Action::kMerge));
  FG_RETURN_IF_ERROR(CheckState(target, Action::kMerge));
  FG_RETURN_IF_ERROR(CheckMergeable(dup, target));
  DuplicatePair after = MergeInto(dup, target, p, clock_->Now(), req.note());
  HazardStore::Write w = store_->NewWrite();
  w.Update(dup, after.duplicate);
  w.Update(target, after.target);
  auto open = store_->OpenHazardId(dup.building_id(), dup.category());
  if (open.ok() && *open == dup.hazard_id()) {
    w.ReleaseOpen(dup.building_id(), dup.category(), dup.hazard_id());
  }
  if (dup.assignment().has_deadline()) {
    for (const Timer& t : TimersFor(*rules_, dup, FromTs(dup.assignment().deadline()))) {
      w.Cancel(t);
    }
  }
  StatusChanged(after.duplicate, dup.status(), "merge", p, &w);
  FG_RETURN_IF_ERROR(w.Commit());
  return Redact(std::move(after.duplicate), p);
}

absl::StatusOr<v1::Hazard> HazardRegistry::Unmerge(const P& p,
                                                   const v1::UnmergeHazardRequest& req) {
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 2000));
  FG_ASSIGN_OR_RETURN(v1::Hazard dup, Load(req.hazard_id()));
  FG_RETURN_IF_ERROR(CanSee(p, dup));
  FG_RETURN_IF_ERROR(Authorize(p, dup, Action::kUnmerge));
  FG_RETURN_IF_ERROR(CheckState(dup, Action::kUnmerge));
  FG_ASSIGN_OR_RETURN(v1::Hazard target, Load(dup.duplicate_of()));
  DuplicatePair after = hazards::Unmerge(dup, target, p, clock_->Now(), req.note());
  HazardStore::Write w = store_->NewWrite();
  w.Update(dup, after.duplicate);
  w.Update(target, after.target);
  auto open = store_->OpenHazardId(dup.building_id(), dup.category());
  if (IsOpen(dup.status()) && open.status().code() == absl::StatusCode::kNotFound) {
    w.ClaimOpen(dup.building_id(), dup.category(), dup.hazard_id());
  }
  v1::HazardRouted routed;
  *routed.mutable_hazard() = ForEvent(after.duplicate);
  w.Publish(Event(routed, after.duplicate));
  FG_RETURN_IF_ERROR(w.Commit());
  return Redact(std::move(after.duplicate), p);
}

absl::StatusOr<v1::Hazard> HazardRegistry::MatchPublicReport(
    const P& p, const v1::MatchPublicReportRequest& req) {
  // Refused before anything is looked up for any role that may never match.
  FG_RETURN_IF_ERROR(auth::RequireRole(p, {auth::Role::kDistrictAdmin, auth::Role::kStreetOfficer},
                                       "match public reports"));
  FG_RETURN_IF_ERROR(ValidateMatch(req));
  bool duplicate = false;
  absl::StatusOr<v1::Hazard> matched;
  // ALREADY_EXISTS: a report of the building and category took the open key between the look
  // and the write; the next attempt links to it (the hazard itself did not change).
  for (int attempt = 0; attempt < 3; ++attempt) {
    duplicate = false;
    matched = Transition(
        p, req.hazard_id(), req.expected_version(), Action::kMatch,
        [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write* w,
            std::vector<events::Message>* later) -> absl::Status {
          const absl::Time now = clock_->Now();
          FG_ASSIGN_OR_RETURN(BuildingView building, store_->GetBuilding(req.building_id()));
          FG_RETURN_IF_ERROR(auth::RequireTier(p, building.tier_path));
          AttachBuilding(*rules_, building, h->category(), h);
          h->set_unmatched(false);
          Record(h, p, "matched", h->status(), now,
                 absl::StrCat("matched to building ", building.building_id, " (", building.name,
                              ")", req.note().empty() ? "" : "; ", req.note()));
          // Routed like a new report: linked to an open hazard of the building and category, or
          // holding the open key itself and routed to the departments.
          auto open = store_->OpenHazardId(h->building_id(), h->category());
          if (!open.ok() && open.status().code() != absl::StatusCode::kNotFound) {
            return open.status();
          }
          if (open.ok()) {
            FG_ASSIGN_OR_RETURN(v1::Hazard primary, store_->Get(*open));
            h->set_duplicate_of(primary.hazard_id());
            w->Update(primary, CountDuplicateReport(primary, now));
            duplicate = true;
            v1::HazardReported reported;
            *reported.mutable_hazard() = ForEvent(*h);
            later->push_back(Event(reported, *h));
          } else {
            w->ClaimOpen(h->building_id(), h->category(), h->hazard_id());
            v1::HazardRouted routed;
            *routed.mutable_hazard() = ForEvent(*h);
            *routed.mutable_previous_routing() = before.routing();
            later->push_back(Event(routed, *h));
          }
          return absl::OkStatus();
        });
    if (matched.status().code() != absl::StatusCode::kAlreadyExists) break;
  }
  if (matched.ok()) {
    log::Info("public report matched", {{"hazard_id", matched->hazard_id()},
                                        {"building_id", matched->building_id()},
                                        {"duplicate", duplicate ? "true" : "false"}});
  }
  return matched;
}

absl::StatusOr<v1::Hazard> HazardRegistry::NoteDeviceAlarmCleared(
    const P& p, const v1::NoteDeviceAlarmClearedRequest& req) {
  if (p.role != auth::Role::kInternalService) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role), " may not note device alarms cleared"));
  }
  FG_RETURN_IF_ERROR(ValidateNoteDeviceAlarmCleared(req));
  if (req.has_cleared_at() &&
      (req.cleared_at().seconds() < 0 ||
       req.cleared_at().seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds ||
       req.cleared_at().nanos() < 0 || req.cleared_at().nanos() > 999'999'999 ||
       FromTs(req.cleared_at()) > clock_->Now() + absl::Minutes(5))) {
    return InvalidField("cleared_at", "must be a valid time, not in the future");
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    FG_ASSIGN_OR_RETURN(v1::Hazard before, Load(req.hazard_id()));
    if (!before.has_device_alarm() || before.device_alarm().alarm_id() != req.alarm_id()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "hazard ", req.hazard_id(), " was not filed for device alarm ", req.alarm_id()));
    }
    if (before.device_alarm().has_cleared_at()) return Redact(std::move(before), p);  // once
    const absl::Time now = clock_->Now();
    v1::Hazard after = before;
    *after.mutable_device_alarm()->mutable_cleared_at() =
        req.has_cleared_at() ? req.cleared_at() : Ts(now);
    Record(&after, p, "device_alarm_cleared", before.status(), now, req.note());
    after.set_version(before.version() + 1);
    *after.mutable_updated_at() = Ts(now);
    HazardStore::Write w = store_->NewWrite();
    w.Update(before, after);
    v1::HazardDeviceAlarmCleared cleared;
    *cleared.mutable_hazard() = ForEvent(after);
    cleared.set_note(req.note());
    w.Publish(Event(cleared, after));
    absl::Status s = w.Commit();
    if (s.ok()) return Redact(std::move(after), p);
    if (s.code() != absl::StatusCode::kAborted) return s;  // ABORTED: changed meanwhile, again
  }
  return absl::AbortedError(
      absl::StrCat("hazard ", req.hazard_id(), " keeps changing; note the alarm cleared again"));
}

}  // namespace firegrid::hazards
