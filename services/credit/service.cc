#include "services/credit/service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "services/credit/access.h"
#include "services/credit/request_checks.h"

namespace firegrid::credit {
namespace {

using auth::Role;
using google::protobuf::util::TimeUtil;

// The department that proposes blacklist entries besides district admins.
constexpr absl::string_view kFireRescue = "fire_rescue";

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

absl::Status OutcomeStatus(const CreditStore::FactOutcome& outcome) { return outcome.status; }

// Whether two facts are the same call: all but the time (and a manual record's default time).
bool SameRequest(v1::Fact a, v1::Fact b) {
  for (v1::Fact* f : {&a, &b}) {
    f->clear_time();
    if (f->has_manual()) f->mutable_manual()->clear_occurred_at();
  }
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

CreditApi::CreditApi(CreditStore* store, const Rules* rules, const SubjectIds* ids,
                     const BuildingDirectory* directory, Clock* clock, IdGenerator* id_gen,
                     ServiceOptions options)
    : store_(store),
      rules_(rules),
      ids_(ids),
      directory_(directory),
      clock_(clock),
      id_gen_(id_gen),
      options_(options) {}

absl::StatusOr<CreditApi::Loaded> CreditApi::LoadVisible(const P& p,
                                                         const std::string& subject_id_or_code) {
  FG_ASSIGN_OR_RETURN(std::string id, CanonicalSubjectId(subject_id_or_code));
  std::string guess;
  {
    absl::MutexLock lock(&serving_mu_);
    guess = last_serving_;
  }
  // One round trip when the version in force is the one seen last (nearly always); a second
  // one, from the version now in force, right after a switch.
  FG_ASSIGN_OR_RETURN(CreditStore::ServedSubject served, store_->LoadServedSubject(guess, id));
  const std::string version = std::move(served.version);
  if (version.empty()) {
    return absl::UnavailableError("credit scores are being computed for the first time; retry");
  }
  std::optional<v1::SubjectState> state = std::move(served.state);
  if (version != guess) {
    {
      absl::MutexLock lock(&serving_mu_);
      last_serving_ = version;
    }
    FG_ASSIGN_OR_RETURN(state, store_->LoadSubject(version, id));
  }
  if (!state.has_value() || !MayRead(p, *state)) {
    return absl::NotFoundError(absl::StrCat("subject ", id, " not found"));
  }
  return Loaded{std::move(version), std::move(*state)};
}

v1::Fact CreditApi::NewFact(const P& p, const std::string& request_id) {
  v1::Fact fact;
  fact.set_fact_id(request_id.empty() ? id_gen_->NewId("cf")
                                      : absl::StrCat(p.subject, ":", request_id));
  *fact.mutable_time() = Ts(clock_->Now());
  fact.set_actor(p.subject);
  fact.set_actor_role(std::string(auth::RoleName(p.role)));
  return fact;
}

absl::StatusOr<std::pair<std::string, CreditStore::FactOutcome>> CreditApi::AppendAndWait(
    v1::Fact fact, bool retryable) {
  if (retryable) {
    // A retry with the same request id must be the same request: it then gets the first call's
    // result; another request under that id is refused, never silently answered with it.
    FG_ASSIGN_OR_RETURN(std::optional<v1::Fact> first, store_->FindFact(fact.fact_id()));
    if (first.has_value() && !SameRequest(*first, fact)) {
      return absl::FailedPreconditionError(
          "request_id: already used for a different request; use a new request id");
    }
  }
  FG_RETURN_IF_ERROR(store_->AppendFact(fact).status());
  const absl::Time deadline = absl::Now() + options_.apply_wait;
  while (true) {
    FG_ASSIGN_OR_RETURN(std::string version, store_->ServingVersion());
    if (!version.empty()) {
      FG_ASSIGN_OR_RETURN(std::optional<CreditStore::FactOutcome> outcome,
                          store_->Outcome(version, fact.fact_id()));
      if (outcome.has_value()) return std::make_pair(version, std::move(*outcome));
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          "recorded, but not applied yet; repeat the call with the same request_id to read its "
          "result");
    }
    absl::SleepFor(options_.poll_interval);
  }
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::EntryResult(const P& p, const std::string& version,
                                                          const std::string& entry_id) {
  FG_ASSIGN_OR_RETURN(std::string subject_id, EntrySubjectId(entry_id));
  FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state,
                      store_->LoadSubject(version, subject_id));
  const v1::BlacklistEntry* e = state.has_value() ? FindEntry(*state, entry_id) : nullptr;
  if (e == nullptr) return absl::NotFoundError(absl::StrCat("entry ", entry_id, " not found"));
  (void)p;
  return *e;
}

absl::StatusOr<CreditApi::Loaded> CreditApi::EntrySubject(const P& p, const std::string& entry_id,
                                                          bool own_only) {
  FG_ASSIGN_OR_RETURN(std::string subject_id, EntrySubjectId(entry_id));
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, subject_id));
  if (FindEntry(loaded.state, entry_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("entry ", entry_id, " not found"));
  }
  if (own_only && p.role != Role::kDistrictAdmin && !ActsFor(p, loaded.state)) {
    return absl::PermissionDeniedError(
        "only the subject, the managers of its buildings or a district admin may do this");
  }
  return loaded;
}

absl::StatusOr<v1::Subject> CreditApi::RegisterSubject(const P& p,
                                                       const v1::RegisterSubjectRequest& req) {
  FG_RETURN_IF_ERROR(auth::RequireRole(
      p, {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer,
          Role::kInternalService},
      "register credit subjects"));
  subjects::v1::Party party = req.party();
  subjects::NormalizeParty(&party);
  FG_RETURN_IF_ERROR(subjects::ValidateParty(party, "party"));
  v1::Fact fact = NewFact(p, "");
  v1::RegistrationFact* reg = fact.mutable_registration();
  if (!req.building_id().empty()) {
    FG_ASSIGN_OR_RETURN(std::optional<BuildingDirectory::Entry> building,
                        directory_->Get(req.building_id()));
    if (!building.has_value()) return InvalidField("building_id", "no such building");
    FG_RETURN_IF_ERROR(auth::RequireTier(p, building->tier_path));
    reg->set_building_id(req.building_id());
    reg->set_building_name(building->name);
    reg->set_tier_path(building->tier_path);
  }
  const std::string subject_id = ids_->IdOf(party);
  *reg->mutable_party() = std::move(party);
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), /*retryable=*/false));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state,
                      store_->LoadSubject(applied.first, subject_id));
  if (!state.has_value()) return absl::InternalError("registered subject not found");
  return Redacted(state->subject());
}

absl::StatusOr<v1::LedgerRecord> CreditApi::RecordManual(const P& p,
                                                         const v1::RecordManualRequest& req) {
  if (req.rule_id().empty()) return InvalidField("rule_id", "required");
  const config::v1::ManualRule* rule = rules_->Manual(req.rule_id());
  if (rule == nullptr) {
    std::vector<std::string> known;
    for (const auto& r : rules_->proto().manual_rules()) known.push_back(r.id());
    return InvalidField("rule_id", absl::StrCat("no manual rule \"", req.rule_id(),
                                                "\" in rule set ", rules_->version(),
                                                "; known: ", absl::StrJoin(known, ", ")));
  }
  FG_RETURN_IF_ERROR(RequireText("reason", req.reason()));
  FG_RETURN_IF_ERROR(RequireText("legal_basis", req.legal_basis()));
  FG_RETURN_IF_ERROR(CheckEvidence(req.evidence(), false));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  const absl::Time now = clock_->Now();
  if (req.has_occurred_at() && FromTs(req.occurred_at()) > now + absl::Minutes(1)) {
    return InvalidField("occurred_at", "must not be in the future");
  }
  const std::string role(auth::RoleName(p.role));
  if (!Contains(rule->roles(), role)) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", role, " may not record ", rule->id()));
  }
  if (p.role == Role::kDepartmentOfficer && !rule->departments().empty() &&
      !Contains(rule->departments(), p.department)) {
    return absl::PermissionDeniedError(absl::StrCat("department ", p.department,
                                                    " may not record ", rule->id()));
  }
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  if (!req.building_id().empty()) {
    bool linked = false;
    for (const auto& link : loaded.state.subject().buildings()) {
      linked = linked || link.building_id() == req.building_id();
    }
    if (!linked) return InvalidField("building_id", "not a building of this subject");
  }
  v1::Fact fact = NewFact(p, req.request_id());
  v1::ManualFact* m = fact.mutable_manual();
  m->set_subject_id(loaded.state.subject().subject_id());
  m->set_rule_id(req.rule_id());
  m->set_reason(req.reason());
  m->set_legal_basis(req.legal_basis());
  m->set_building_id(req.building_id());
  *m->mutable_evidence() = req.evidence();
  *m->mutable_occurred_at() = req.has_occurred_at() ? req.occurred_at() : Ts(now);
  // The recording department's org unit, "<district>.<slug>" (a token may name only the
  // department).
  m->set_org_unit(p.org_unit.empty() && !p.department.empty() && p.tier_path.size() >= 6
                      ? absl::StrCat(p.tier_path.substr(0, 6), ".", p.department)
                      : p.org_unit);
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  const std::string& record_id = applied.second.record_id;
  const size_t hash = record_id.rfind('#');
  int64_t seq = 0;
  if (hash == std::string::npos || !absl::SimpleAtoi(record_id.substr(hash + 1), &seq)) {
    return absl::InternalError(absl::StrCat("manual record without a ledger record: ", record_id));
  }
  FG_ASSIGN_OR_RETURN(std::vector<v1::LedgerRecord> records,
                      store_->LoadLedger(applied.first, record_id.substr(0, hash), seq + 1, 1));
  if (records.empty()) return absl::InternalError("ledger record not found");
  return records.front();
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::ProposeBlacklist(
    const P& p, const v1::ProposeBlacklistRequest& req) {
  const bool allowed =
      p.role == Role::kDistrictAdmin ||
      (p.role == Role::kDepartmentOfficer && p.department == kFireRescue);
  if (!allowed) {
    return absl::PermissionDeniedError(
        "only district admins and fire rescue officers may propose blacklist entries");
  }
  FG_RETURN_IF_ERROR(RequireText("reason", req.reason()));
  FG_RETURN_IF_ERROR(RequireText("legal_basis", req.legal_basis()));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  const int max_days = rules_->proto().blacklist().max_duration_days();
  if (req.duration_days() < 0 || req.duration_days() > max_days) {
    return InvalidField("duration_days", absl::StrCat("0 (the default, ",
                                                      rules_->proto().blacklist()
                                                          .default_duration_days(),
                                                      ") to ", max_days, " days"));
  }
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  for (const v1::BlacklistEntry& e : loaded.state.blacklist()) {
    if (OpenState(e.state())) {
      return absl::FailedPreconditionError(
          absl::StrCat("subject already has an open blacklist entry ", e.entry_id()));
    }
  }
  v1::Fact fact = NewFact(p, req.request_id());
  v1::ProposalFact* prop = fact.mutable_proposal();
  prop->set_subject_id(loaded.state.subject().subject_id());
  prop->set_reason(req.reason());
  prop->set_legal_basis(req.legal_basis());
  prop->set_duration_days(req.duration_days());
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, applied.second.entry_id);
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::FileObjection(const P& p,
                                                            const v1::FileObjectionRequest& req) {
  FG_RETURN_IF_ERROR(RequireText("text", req.text()));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FG_ASSIGN_OR_RETURN(Loaded loaded, EntrySubject(p, req.entry_id(), /*own_only=*/true));
  const v1::BlacklistEntry* e = FindEntry(loaded.state, req.entry_id());
  if (e->state() != v1::BLACKLIST_STATE_PROPOSED ||
      clock_->Now() >= FromTs(e->objection_deadline())) {
    return absl::FailedPreconditionError(
        "an objection may be filed only while the entry is proposed, before its objection "
        "deadline");
  }
  v1::Fact fact = NewFact(p, req.request_id());
  fact.mutable_objection()->set_entry_id(req.entry_id());
  fact.mutable_objection()->set_text(req.text());
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, req.entry_id());
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::ReviewObjection(
    const P& p, const v1::ReviewObjectionRequest& req) {
  FG_RETURN_IF_ERROR(auth::RequireRole(p, {Role::kDistrictAdmin}, "review objections"));
  FG_RETURN_IF_ERROR(RequireText("note", req.note()));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FG_ASSIGN_OR_RETURN(Loaded loaded, EntrySubject(p, req.entry_id(), /*own_only=*/false));
  if (FindEntry(loaded.state, req.entry_id())->state() != v1::BLACKLIST_STATE_OBJECTED) {
    return absl::FailedPreconditionError("the entry has no objection awaiting review");
  }
  v1::Fact fact = NewFact(p, req.request_id());
  fact.mutable_objection_review()->set_entry_id(req.entry_id());
  fact.mutable_objection_review()->set_upheld(req.upheld());
  fact.mutable_objection_review()->set_note(req.note());
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, req.entry_id());
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::RequestRepair(const P& p,
                                                            const v1::RequestRepairRequest& req) {
  FG_RETURN_IF_ERROR(RequireText("statement", req.statement()));
  FG_RETURN_IF_ERROR(CheckEvidence(req.evidence(), true));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FG_ASSIGN_OR_RETURN(Loaded loaded, EntrySubject(p, req.entry_id(), /*own_only=*/true));
  if (FindEntry(loaded.state, req.entry_id())->state() != v1::BLACKLIST_STATE_ACTIVE) {
    return absl::FailedPreconditionError("credit repair is for entries in effect");
  }
  v1::Fact fact = NewFact(p, req.request_id());
  v1::RepairRequestFact* r = fact.mutable_repair_request();
  r->set_entry_id(req.entry_id());
  r->set_statement(req.statement());
  *r->mutable_evidence() = req.evidence();
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, req.entry_id());
}

absl::StatusOr<v1::BlacklistEntry> CreditApi::ReviewRepair(const P& p,
                                                           const v1::ReviewRepairRequest& req) {
  FG_RETURN_IF_ERROR(auth::RequireRole(p, {Role::kDistrictAdmin}, "review credit repairs"));
  FG_RETURN_IF_ERROR(RequireText("note", req.note()));
  FG_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FG_ASSIGN_OR_RETURN(Loaded loaded, EntrySubject(p, req.entry_id(), /*own_only=*/false));
  const v1::BlacklistEntry* e = FindEntry(loaded.state, req.entry_id());
  if (e->state() != v1::BLACKLIST_STATE_ACTIVE || !e->has_repair() || e->repair().reviewed()) {
    return absl::FailedPreconditionError("the entry has no repair application awaiting review");
  }
  v1::Fact fact = NewFact(p, req.request_id());
  fact.mutable_repair_review()->set_entry_id(req.entry_id());
  fact.mutable_repair_review()->set_approved(req.approved());
  fact.mutable_repair_review()->set_note(req.note());
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact), !req.request_id().empty()));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, req.entry_id());
}

}  // namespace firegrid::credit
