#include "services/hazards/registry.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/topics.h"

namespace firegrid::hazards {
namespace {

using auth::Role;
using google::protobuf::util::TimeUtil;
namespace bv1 = ::firegrid::buildings::v1;

constexpr char kProducer[] = "hazards";
constexpr int kScanChunk = 500;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}

absl::Status Text(const std::string& v, const std::string& field, bool required, size_t max) {
  if (required && absl::StripAsciiWhitespace(v).empty()) return InvalidField(field, "is required");
  if (v.size() > max) return InvalidField(field, absl::StrCat("at most ", max, " bytes"));
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return InvalidField(field, "must not hold control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEvidence(const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence,
                              const std::string& field) {
  if (evidence.size() > 20) return InvalidField(field, "at most 20 items");
  for (int i = 0; i < evidence.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    const std::string& uri = evidence[i].uri();
    bool ok = false;
    if (absl::StartsWith(uri, "https://") || absl::StartsWith(uri, "http://")) {
      ok =
          uri.size() > 8 && uri.size() <= 2048 && uri.find_first_of(" \t\r\n") == std::string::npos;
    } else if (absl::StartsWith(uri, "sha256:") && uri.size() == 7 + 64) {
      ok = std::all_of(uri.begin() + 7, uri.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    }
    if (!ok) return InvalidField(f + ".uri", "must be an http(s) URL or sha256:<64 hex digits>");
    FG_RETURN_IF_ERROR(Text(evidence[i].description(), f + ".description", false, 500));
  }
  return absl::OkStatus();
}

bool ValidCategory(int c) { return c != 0 && v1::HazardCategory_IsValid(c); }

bool Named(const BuildingView& b, const std::string& subject) {
  return !subject.empty() &&
         std::find(b.subjects.begin(), b.subjects.end(), subject) != b.subjects.end();
}

absl::Status CanReport(const auth::Principal& p, const BuildingView& b) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
      return auth::RequireTier(p, b.tier_path);
    case Role::kBuildingManager:
      if (Named(b, p.subject)) return absl::OkStatus();
      return absl::PermissionDeniedError("building manager is not named by this building");
    default:
      return absl::PermissionDeniedError(
          absl::StrCat("role ", auth::RoleName(p.role), " may not report hazards"));
  }
}

std::string CategoryWords(v1::HazardCategory c) {
  std::string n = v1::HazardCategory_Name(c);
  return absl::AsciiStrToLower(n.substr(std::string("HAZARD_CATEGORY_").size()));
}

}  // namespace

v1::Hazard Redact(v1::Hazard h, const auth::Principal& p) {
  if (p.role != Role::kDistrictAdmin) h.mutable_reporter()->clear_contact();
  return h;
}

v1::Hazard ForEvent(v1::Hazard h) {
  h.clear_audit();
  h.mutable_reporter()->clear_contact();
  return h;
}

auth::Principal HazardRegistry::SystemPrincipal() {
  auth::Principal p;
  p.subject = "firegrid-hazards";
  p.role = Role::kInternalService;
  return p;
}

HazardRegistry::HazardRegistry(HazardStore* store, const Rules* rules, Clock* clock,
                               IdGenerator* ids)
    : store_(store), rules_(rules), clock_(clock), ids_(ids) {}

events::Message HazardRegistry::Event(const google::protobuf::Message& payload,
                                      const v1::Hazard& h) {
  events::Envelope env =
      events::NewEnvelope(payload, kProducer, h.building_id(), h.tier_path(), clock_->Now(), *ids_);
  return events::Message{std::string(events::kHazardsTopic), h.building_id(),
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

absl::StatusOr<v1::ReportHazardResponse> HazardRegistry::Report(
    const P& p, const v1::ReportHazardRequest& req) {
  const absl::Time now = clock_->Now();
  if (!IsWellFormedId(req.building_id(), "bld")) {
    return InvalidField("building_id", "is not a building id");
  }
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  if (req.severity() == v1::SEVERITY_UNSPECIFIED || !v1::Severity_IsValid(req.severity())) {
    return InvalidField("severity", "is required (general or major)");
  }
  if (req.source() == v1::SOURCE_UNSPECIFIED || !v1::Source_IsValid(req.source())) {
    return InvalidField("source", "is required");
  }
  FG_RETURN_IF_ERROR(Text(req.description(), "description", true, 4000));
  FG_RETURN_IF_ERROR(ValidateEvidence(req.evidence(), "evidence"));
  FG_RETURN_IF_ERROR(Text(req.reporter().name(), "reporter.name", false, 100));
  FG_RETURN_IF_ERROR(Text(req.reporter().contact(), "reporter.contact", false, 100));
  if (!req.reporter().subject().empty()) return InvalidField("reporter.subject", "is server-owned");
  if (req.reporter().anonymous()) {
    if (req.source() != v1::SOURCE_PUBLIC_TIP_OFF) {
      return InvalidField("reporter.anonymous", "only public tip-offs may be anonymous");
    }
    if (!req.reporter().name().empty() || !req.reporter().contact().empty()) {
      return InvalidField("reporter", "an anonymous tip-off carries no name or contact");
    }
  }
  if ((req.source() == v1::SOURCE_IOT || req.source() == v1::SOURCE_CAMPAIGN) &&
      p.role != Role::kInternalService && p.role != Role::kDistrictAdmin) {
    return absl::PermissionDeniedError(
        "IoT and campaign hazards come from systems or district admins");
  }
  FG_RETURN_IF_ERROR(Text(req.idempotency_key(), "idempotency_key", false, 128));

  if (!req.idempotency_key().empty()) {
    auto existing = store_->IdempotentHazardId(p.subject, req.idempotency_key());
    if (existing.ok()) {
      FG_ASSIGN_OR_RETURN(v1::Hazard h, store_->Get(*existing));
      v1::ReportHazardResponse resp;
      resp.set_duplicate_of(h.duplicate_of());
      resp.set_message("already reported with this idempotency key");
      *resp.mutable_hazard() = Redact(std::move(h), p);
      return resp;
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  }

  FG_ASSIGN_OR_RETURN(BuildingView building, store_->GetBuilding(req.building_id()));
  FG_RETURN_IF_ERROR(CanReport(p, building));

  v1::Hazard h;
  h.set_hazard_id(ids_->NewId("hzd"));
  h.set_building_id(building.building_id);
  h.set_building_name(building.name);
  h.set_tier_path(building.tier_path);
  h.set_category(req.category());
  h.set_severity(req.severity());
  h.set_source(req.source());
  h.set_description(req.description());
  *h.mutable_evidence() = req.evidence();
  *h.mutable_reporter() = req.reporter();
  h.mutable_reporter()->set_subject(p.subject);
  for (const auto& s : building.subjects) h.add_building_subjects(s);
  *h.mutable_routing() = Route(*rules_, req.category(), building);
  *h.mutable_reported_at() = Ts(now);
  *h.mutable_updated_at() = Ts(now);
  h.set_version(1);
  h.set_status(v1::STATUS_REPORTED);
  {
    auto* e = h.add_audit();
    *e->mutable_at() = Ts(now);
    e->set_actor(p.subject);
    e->set_role(std::string(auth::RoleName(p.role)));
    e->set_action("report");
    e->set_to(v1::STATUS_REPORTED);
  }

  for (int attempt = 0; attempt < 3; ++attempt) {
    auto open = store_->OpenHazardId(h.building_id(), h.category());
    if (!open.ok() && open.status().code() != absl::StatusCode::kNotFound) return open.status();
    HazardStore::Write w = store_->NewWrite();
    v1::ReportHazardResponse resp;
    if (open.ok()) {
      // An open hazard of the same building and category: link this report as its duplicate.
      FG_ASSIGN_OR_RETURN(v1::Hazard primary, store_->Get(*open));
      v1::Hazard updated = primary;
      updated.set_duplicate_reports(primary.duplicate_reports() + 1);
      updated.set_version(primary.version() + 1);
      *updated.mutable_updated_at() = Ts(now);
      h.set_duplicate_of(primary.hazard_id());
      w.Update(primary, updated);
      resp.set_duplicate_of(primary.hazard_id());
      resp.set_message(
          absl::StrCat("linked as a duplicate of open hazard ", primary.hazard_id(),
                       " of the same building and category; it is already being handled"));
    } else {
      w.ClaimOpen(h.building_id(), h.category(), h.hazard_id());
      resp.set_message("reported and routed");
    }
    w.Create(h);
    if (!req.idempotency_key().empty()) {
      w.SetIdempotency(p.subject, req.idempotency_key(), h.hazard_id());
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
      *resp.mutable_hazard() = Redact(h, p);
      return resp;
    }
    if (s.code() == absl::StatusCode::kAlreadyExists && !req.idempotency_key().empty()) {
      // Either a concurrent retry with the same key won, or the open key was taken meanwhile.
      auto winner = store_->IdempotentHazardId(p.subject, req.idempotency_key());
      if (winner.ok()) {
        FG_ASSIGN_OR_RETURN(v1::Hazard w2, store_->Get(*winner));
        v1::ReportHazardResponse again;
        again.set_duplicate_of(w2.duplicate_of());
        again.set_message("already reported with this idempotency key");
        *again.mutable_hazard() = Redact(std::move(w2), p);
        return again;
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
  FG_ASSIGN_OR_RETURN(v1::Hazard h, Load(req.hazard_id()));
  FG_RETURN_IF_ERROR(CanSee(p, h));
  return Redact(std::move(h), p);
}

// ----- List ------------------------------------------------------------------------------------

absl::StatusOr<v1::ListHazardsResponse> HazardRegistry::List(const P& p,
                                                             const v1::ListHazardsRequest& req) {
  if (p.role == Role::kServiceAgency || p.role == Role::kUnspecified) {
    return absl::PermissionDeniedError("role may not list hazards");
  }
  std::string scope = req.tier_path_prefix().empty() ? p.tier_path : req.tier_path_prefix();
  for (char c : scope) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return InvalidField("tier_path_prefix", "must be a division-code prefix (digits)");
    }
  }
  if (p.role != Role::kBuildingManager) FG_RETURN_IF_ERROR(auth::RequireTier(p, scope));
  std::string department = req.department();
  if (p.role == Role::kDepartmentOfficer) {
    if (!department.empty() && department != p.department) {
      return absl::PermissionDeniedError("department officers list their own department's hazards");
    }
    department = p.department;
  }
  if (!department.empty() && !rules_->IsDepartment(department)) {
    return InvalidField("department", absl::StrCat("unknown department '", department, "'"));
  }
  if (req.page_size() < 0 || req.page_size() > 500) {
    return InvalidField("page_size", "must be in [0, 500]");
  }
  if (!req.page_token().empty() && !absl::StartsWith(req.page_token(), scope)) {
    return InvalidField("page_token", "does not belong to this listing");
  }
  for (int s : req.statuses()) {
    if (s == 0 || !v1::Status_IsValid(s)) return InvalidField("statuses", "unknown status");
  }
  for (int c : req.categories()) {
    if (!ValidCategory(c)) return InvalidField("categories", "unknown category");
  }
  const absl::Time now = clock_->Now();
  const int size = req.page_size() == 0 ? 50 : req.page_size();
  auto matches = [&](const v1::Hazard& h) {
    if (!CanSee(p, h).ok()) return false;
    if (!req.include_duplicates() && !h.duplicate_of().empty()) return false;
    if (!req.building_id().empty() && h.building_id() != req.building_id()) return false;
    if (!req.statuses().empty() && std::find(req.statuses().begin(), req.statuses().end(),
                                             h.status()) == req.statuses().end()) {
      return false;
    }
    if (!req.categories().empty() && std::find(req.categories().begin(), req.categories().end(),
                                               h.category()) == req.categories().end()) {
      return false;
    }
    if (req.has_overdue()) {
      const bool overdue = IsActive(h.status()) && h.assignment().has_deadline() &&
                           FromTs(h.assignment().deadline()) < now;
      if (overdue != req.overdue()) return false;
    }
    return true;
  };
  v1::ListHazardsResponse resp;
  std::string cursor = req.page_token();
  while (true) {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page,
                        store_->Scan(department, scope, cursor, kScanChunk));
    bool full = false;
    for (size_t i = 0; i < page.hazards.size(); ++i) {
      const v1::Hazard& h = page.hazards[i];
      cursor = h.tier_path() + "|" + h.hazard_id();
      if (!matches(h)) continue;
      *resp.add_hazards() = Redact(h, p);
      if (resp.hazards_size() == size) {
        full = true;
        if (i + 1 < page.hazards.size() || !page.next_cursor.empty()) {
          resp.set_next_page_token(cursor);
        }
        break;
      }
    }
    if (full || page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return resp;
}

// ----- Transitions -----------------------------------------------------------------------------

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
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
  return Transition(
      p, req.hazard_id(), req.expected_version(), Action::kVerify,
      [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write*,
          std::vector<events::Message>*) -> absl::Status {
        const absl::Time now = clock_->Now();
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
  FG_RETURN_IF_ERROR(Text(req.reason(), "reason", true, 2000));
  return Transition(p, req.hazard_id(), req.expected_version(), Action::kReject,
                    [&](const v1::Hazard& before, v1::Hazard* h, HazardStore::Write* w,
                        std::vector<events::Message>* later) -> absl::Status {
                      h->set_rejection_reason(req.reason());
                      Record(h, p, "reject", v1::STATUS_REJECTED, clock_->Now(), req.reason());
                      w->ReleaseOpen(h->building_id(), h->category(), h->hazard_id());
                      return absl::OkStatus();
                    });
}

std::vector<Timer> HazardRegistry::TimersFor(const v1::Hazard& h, absl::Time assigned_at) const {
  const absl::Time deadline = FromTs(h.assignment().deadline());
  const int64_t d = absl::ToUnixMillis(deadline);
  const absl::Duration before = std::min(rules_->due_soon(), (deadline - assigned_at) / 2);
  return {
      Timer{h.hazard_id(), Timer::Kind::kDueSoon, d, absl::ToUnixMillis(deadline - before)},
      Timer{h.hazard_id(), Timer::Kind::kOverdue, d, d},
      Timer{h.hazard_id(), Timer::Kind::kDistrict, d,
            absl::ToUnixMillis(deadline + rules_->district_escalation())},
  };
}

absl::StatusOr<v1::Hazard> HazardRegistry::Assign(const P& p, const v1::AssignHazardRequest& req) {
  FG_RETURN_IF_ERROR(Text(req.responsible_party(), "responsible_party", true, 200));
  FG_RETURN_IF_ERROR(Text(req.responsible_subject(), "responsible_subject", false, 128));
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
  if (!req.supervising_department().empty() &&
      !rules_->IsDepartment(req.supervising_department())) {
    return InvalidField("supervising_department",
                        absl::StrCat("unknown department '", req.supervising_department(), "'"));
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
                      for (const Timer& t : TimersFor(*h, now)) w->Schedule(t);
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Hazard> HazardRegistry::Start(const P& p,
                                                 const v1::StartRectificationRequest& req) {
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
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
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
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
  FG_RETURN_IF_ERROR(Text(req.note(), "note", !req.passed(), 2000));
  const Action action = req.passed() ? Action::kReviewPass : Action::kReviewFail;
  return Transition(p, req.hazard_id(), req.expected_version(), action,
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
                      for (const Timer& t : TimersFor(*h, FromTs(h->assignment().deadline())))
                        w->Cancel(t);
                      v1::HazardClosed closed;
                      *closed.mutable_hazard() = ForEvent(*h);
                      closed.set_on_time(h->closed_on_time());
                      later->push_back(Event(closed, *h));
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Hazard> HazardRegistry::ChangeCategory(const P& p,
                                                          const v1::ChangeCategoryRequest& req) {
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
  FG_ASSIGN_OR_RETURN(v1::Hazard current, Load(req.hazard_id()));
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
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
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
  if (dup.building_id() != target.building_id()) {
    return absl::FailedPreconditionError("only hazards of the same building can be merged");
  }
  if (dup.duplicate_reports() > 0) {
    return absl::FailedPreconditionError(
        "this hazard has duplicates of its own; unmerge them or merge the other way");
  }
  const absl::Time now = clock_->Now();
  v1::Hazard dup_after = dup;
  dup_after.set_duplicate_of(target.hazard_id());
  Record(&dup_after, p, "merge", dup.status(), now,
         absl::StrCat("duplicate of ", target.hazard_id(), req.note().empty() ? "" : "; ",
                      req.note()));
  dup_after.set_version(dup.version() + 1);
  *dup_after.mutable_updated_at() = Ts(now);
  v1::Hazard target_after = target;
  target_after.set_duplicate_reports(target.duplicate_reports() + 1);
  target_after.set_version(target.version() + 1);
  *target_after.mutable_updated_at() = Ts(now);
  HazardStore::Write w = store_->NewWrite();
  w.Update(dup, dup_after);
  w.Update(target, target_after);
  auto open = store_->OpenHazardId(dup.building_id(), dup.category());
  if (open.ok() && *open == dup.hazard_id())
    w.ReleaseOpen(dup.building_id(), dup.category(), dup.hazard_id());
  if (dup.assignment().has_deadline()) {
    for (const Timer& t : TimersFor(dup, FromTs(dup.assignment().deadline()))) w.Cancel(t);
  }
  StatusChanged(dup_after, dup.status(), "merge", p, &w);
  FG_RETURN_IF_ERROR(w.Commit());
  return Redact(std::move(dup_after), p);
}

absl::StatusOr<v1::Hazard> HazardRegistry::Unmerge(const P& p,
                                                   const v1::UnmergeHazardRequest& req) {
  FG_RETURN_IF_ERROR(Text(req.note(), "note", false, 2000));
  FG_ASSIGN_OR_RETURN(v1::Hazard dup, Load(req.hazard_id()));
  FG_RETURN_IF_ERROR(CanSee(p, dup));
  FG_RETURN_IF_ERROR(Authorize(p, dup, Action::kUnmerge));
  FG_RETURN_IF_ERROR(CheckState(dup, Action::kUnmerge));
  FG_ASSIGN_OR_RETURN(v1::Hazard target, Load(dup.duplicate_of()));
  const absl::Time now = clock_->Now();
  v1::Hazard dup_after = dup;
  dup_after.clear_duplicate_of();
  Record(&dup_after, p, "unmerge", dup.status(), now,
         absl::StrCat("no longer a duplicate of ", target.hazard_id(),
                      req.note().empty() ? "" : "; ", req.note()));
  dup_after.set_version(dup.version() + 1);
  *dup_after.mutable_updated_at() = Ts(now);
  v1::Hazard target_after = target;
  target_after.set_duplicate_reports(std::max(0, target.duplicate_reports() - 1));
  target_after.set_version(target.version() + 1);
  *target_after.mutable_updated_at() = Ts(now);
  HazardStore::Write w = store_->NewWrite();
  w.Update(dup, dup_after);
  w.Update(target, target_after);
  auto open = store_->OpenHazardId(dup.building_id(), dup.category());
  if (IsOpen(dup.status()) && open.status().code() == absl::StatusCode::kNotFound) {
    w.ClaimOpen(dup.building_id(), dup.category(), dup.hazard_id());
  }
  v1::HazardRouted routed;
  *routed.mutable_hazard() = ForEvent(dup_after);
  w.Publish(Event(routed, dup_after));
  FG_RETURN_IF_ERROR(w.Commit());
  return Redact(std::move(dup_after), p);
}

// ----- Guidance and statistics -----------------------------------------------------------------

absl::StatusOr<v1::Guidance> HazardRegistry::GetGuidance(const P& p,
                                                         const v1::GetGuidanceRequest& req) {
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  return rules_->GuidanceFor(req.category());
}

absl::StatusOr<v1::ListGuidanceResponse> HazardRegistry::ListGuidance(
    const P& p, const v1::ListGuidanceRequest& req) {
  v1::ListGuidanceResponse resp;
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    *resp.add_guidance() = rules_->GuidanceFor(static_cast<v1::HazardCategory>(c));
  }
  return resp;
}

absl::StatusOr<v1::Statistics> HazardRegistry::GetStatistics(const P& p,
                                                             const v1::GetStatisticsRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role), " may not read statistics"));
  }
  const std::string scope = req.tier_path().empty() ? p.tier_path : req.tier_path();
  if (scope.size() != 6 && scope.size() != 9 && scope.size() != 12) {
    return InvalidField("tier_path", "must be a 6, 9 or 12-digit division code");
  }
  for (char c : scope) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return InvalidField("tier_path", "must be a 6, 9 or 12-digit division code");
    }
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, scope));
  const std::string department = p.role == Role::kDepartmentOfficer ? p.department : "";
  const absl::Time now = clock_->Now();
  const size_t group_len = scope.size() == 6 ? 9 : 12;
  std::map<std::string, v1::StatisticsRow> by_tier, by_dept;
  v1::StatisticsRow totals;
  auto count = [&](v1::StatisticsRow* r, const v1::Hazard& h) {
    switch (h.status()) {
      case v1::STATUS_REPORTED:
        r->set_reported(r->reported() + 1);
        break;
      case v1::STATUS_REJECTED:
        r->set_rejected(r->rejected() + 1);
        break;
      case v1::STATUS_CLOSED:
        r->set_closed(r->closed() + 1);
        if (h.closed_on_time()) r->set_closed_on_time(r->closed_on_time() + 1);
        break;
      default:
        r->set_open(r->open() + 1);
        if (h.assignment().has_deadline() && FromTs(h.assignment().deadline()) < now) {
          r->set_overdue(r->overdue() + 1);
        }
    }
  };
  std::string cursor;
  while (true) {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page,
                        store_->Scan(department, scope, cursor, kScanChunk));
    for (const auto& h : page.hazards) {
      if (!h.duplicate_of().empty()) continue;
      count(&totals, h);
      count(&by_tier[h.tier_path().substr(0, std::min(group_len, h.tier_path().size()))], h);
      for (const auto& d : DepartmentIndexes(h)) count(&by_dept[d], h);
    }
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  auto finish = [](v1::StatisticsRow* r) {
    const int denom = r->open() + r->closed();
    r->set_rectification_rate(denom == 0 ? 100.0 : std::round(1000.0 * r->closed() / denom) / 10.0);
  };
  v1::Statistics out;
  out.set_tier_path(scope);
  finish(&totals);
  totals.set_key(scope);
  *out.mutable_totals() = totals;
  for (auto& [k, r] : by_tier) {
    r.set_key(k);
    finish(&r);
    *out.add_by_tier() = r;
  }
  for (auto& [k, r] : by_dept) {
    if (!department.empty() && k != department) continue;
    r.set_key(k);
    finish(&r);
    *out.add_by_department() = r;
  }
  *out.mutable_generated_at() = Ts(now);
  return out;
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
      const v1::Hazard& before = *loaded;
      v1::Hazard h = before;
      const bool current =
          before.duplicate_of().empty() && before.assignment().has_deadline() &&
          absl::ToUnixMillis(FromTs(before.assignment().deadline())) == t.deadline_ms;
      const v1::Status s = before.status();
      if (current && t.kind == Timer::Kind::kDueSoon &&
          (s == v1::STATUS_ASSIGNED || s == v1::STATUS_RECTIFYING) && !before.due_soon_notified()) {
        h.set_due_soon_notified(true);
        Record(&h, system, "due_soon", s, now, "deadline approaching");
        v1::HazardDueSoon e;
        *e.mutable_hazard() = ForEvent(h);
        *e.mutable_deadline() = before.assignment().deadline();
        w.Publish(Event(e, h));
        effect = true;
      } else if (current && t.kind == Timer::Kind::kOverdue && IsActive(s) && !before.overdue()) {
        h.set_overdue(true);
        h.set_escalation(v1::ESCALATION_LEVEL_STREET);
        Record(&h, system, "overdue", s, now, "deadline passed");
        Record(&h, system, "escalate", s, now, absl::StrCat("to street ", h.routing().street()));
        v1::HazardOverdue o;
        *o.mutable_hazard() = ForEvent(h);
        *o.mutable_deadline() = before.assignment().deadline();
        w.Publish(Event(o, h));
        v1::HazardEscalated e;
        *e.mutable_hazard() = ForEvent(h);
        e.set_level(v1::ESCALATION_LEVEL_STREET);
        e.set_escalated_to(h.routing().street());
        w.Publish(Event(e, h));
        effect = true;
      } else if (current && t.kind == Timer::Kind::kDistrict && IsActive(s) &&
                 before.escalation() != v1::ESCALATION_LEVEL_DISTRICT) {
        h.set_escalation(v1::ESCALATION_LEVEL_DISTRICT);
        Record(&h, system, "escalate", s, now,
               absl::StrCat("to district ", h.routing().district()));
        v1::HazardEscalated e;
        *e.mutable_hazard() = ForEvent(h);
        e.set_level(v1::ESCALATION_LEVEL_DISTRICT);
        e.set_escalated_to(h.routing().district());
        w.Publish(Event(e, h));
        effect = true;
      }
      if (effect) {
        h.set_version(before.version() + 1);
        *h.mutable_updated_at() = Ts(now);
        w.Update(before, h);
      }
    } else if (loaded.status().code() != absl::StatusCode::kNotFound) {
      return loaded.status();
    }
    absl::Status s = w.Commit();
    if (s.ok()) {
      if (effect) ++fired;
    } else if (s.code() != absl::StatusCode::kAborted) {
      return s;  // ABORTED: another replica consumed it, or the hazard changed; next round
    }
  }
  return fired;
}

// ----- Buildings events ------------------------------------------------------------------------

absl::Status HazardRegistry::HandleBuildingEvent(const events::Envelope& env) {
  auto view_of = [](const bv1::Building& b) {
    BuildingView v;
    v.building_id = b.building_id();
    v.name = b.name();
    v.tier_path = b.tier_path();
    v.use = b.use();
    v.version = b.version();
    const auto& c = b.responsibility().chain();
    for (const auto* s : {&c.responsible_person().subject(), &c.manager().subject(),
                          &c.building_head().subject()}) {
      if (!s->empty()) v.subjects.push_back(*s);
    }
    return v;
  };
  if (env.payload().Is<bv1::BuildingRegistered>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingRegistered>(env));
    return store_->PutBuilding(view_of(e.building()), env.event_id());
  }
  if (env.payload().Is<bv1::BuildingUpdated>()) {
    FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::BuildingUpdated>(env));
    return store_->PutBuilding(view_of(e.building()), env.event_id());
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
    BuildingView v = *current;
    v.version = e.building_version();
    v.subjects.clear();
    for (const auto* s : {&e.chain().responsible_person().subject(), &e.chain().manager().subject(),
                          &e.chain().building_head().subject()}) {
      if (!s->empty()) v.subjects.push_back(*s);
    }
    return store_->PutBuilding(v, env.event_id());
  }
  if (env.payload().Is<bv1::FireAccessNonCompliant>()) return RaiseCampaignHazards(env);
  return absl::OkStatus();  // other events do not concern hazards
}

absl::Status HazardRegistry::RaiseCampaignHazards(const events::Envelope& env) {
  FG_ASSIGN_OR_RETURN(auto e, events::Unpack<bv1::FireAccessNonCompliant>(env));
  std::map<v1::HazardCategory, std::vector<std::string>> found;
  for (const auto& v : e.assessment().violations()) {
    switch (v.kind()) {
      case bv1::VIOLATION_KIND_OCCUPIED:
        found[v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED].push_back(v.message());
        break;
      case bv1::VIOLATION_KIND_MARKING:
        found[v1::HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED].push_back(v.message());
        break;
      default:
        found[v1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY].push_back(v.message());
    }
  }
  const P system = SystemPrincipal();
  for (const auto& [category, messages] : found) {
    // Deduplicated: an open hazard of the building and category already covers it.
    auto open = store_->OpenHazardId(e.building_id(), category);
    if (open.ok()) continue;
    if (open.status().code() != absl::StatusCode::kNotFound) return open.status();
    v1::ReportHazardRequest req;
    req.set_building_id(e.building_id());
    req.set_category(category);
    req.set_severity(v1::SEVERITY_GENERAL);
    req.set_source(v1::SOURCE_CAMPAIGN);
    req.set_description(absl::StrCat("fire-access assessment: ", absl::StrJoin(messages, "; ")));
    if (req.description().size() > 4000) req.mutable_description()->resize(4000);
    req.set_idempotency_key(absl::StrCat("campaign:", env.event_id(), ":", category));
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
