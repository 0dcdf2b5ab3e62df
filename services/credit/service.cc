#include "services/credit/service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "services/credit/export_format.h"

namespace firegrid::credit {
namespace {

using auth::Role;
using google::protobuf::util::TimeUtil;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kDefaultExportLimit = 500;
constexpr int kMaxExportLimit = 5000;
constexpr size_t kMaxText = 2000;
constexpr size_t kMaxRequestId = 128;
constexpr int kMaxEvidence = 20;
// The department of the district public credit platform (config/departments.textproto).
constexpr absl::string_view kCreditPlatformDepartment = "development_reform";
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

size_t CharCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

absl::Status RequireText(absl::string_view field, const std::string& value) {
  if (absl::StripAsciiWhitespace(value).empty()) return InvalidField(field, "required");
  if (CharCount(value) > kMaxText) {
    return InvalidField(field, absl::StrCat("at most ", kMaxText, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(const std::string& id) {
  if (id.size() > kMaxRequestId) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestId, " characters"));
  }
  return absl::OkStatus();
}

bool IsHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

absl::Status CheckEvidence(const google::protobuf::RepeatedPtrField<std::string>& evidence,
                           bool required) {
  if (required && evidence.empty()) return InvalidField("evidence", "at least one is required");
  if (evidence.size() > kMaxEvidence) {
    return InvalidField("evidence", absl::StrCat("at most ", kMaxEvidence, " items"));
  }
  for (int i = 0; i < evidence.size(); ++i) {
    const std::string& e = evidence[i];
    const bool url = (absl::StartsWith(e, "https://") || absl::StartsWith(e, "http://")) &&
                     e.size() <= kMaxText && e.find_first_of(" \t\r\n") == std::string::npos;
    const bool hash = absl::StartsWith(e, "sha256:") && e.size() == 7 + 64 && IsHex(e.substr(7));
    if (!url && !hash) {
      return InvalidField(absl::StrCat("evidence[", i, "]"),
                          "an http(s) URL or \"sha256:<64 lower-case hex>\"");
    }
  }
  return absl::OkStatus();
}

// "org:<code>", "person:<24 hex>", or a bare organisation credit code → the subject id.
absl::StatusOr<std::string> CanonicalSubjectId(const std::string& raw) {
  const std::string id(absl::StripAsciiWhitespace(raw));
  if (id.empty()) return InvalidField("subject_id", "required");
  if (absl::StartsWith(id, "org:")) {
    const std::string code = absl::AsciiStrToUpper(id.substr(4));
    FG_RETURN_IF_ERROR(subjects::ValidateCreditCode(code, "subject_id"));
    return SubjectIds::OrgId(code);
  }
  if (absl::StartsWith(id, "person:")) {
    if (!SubjectIds::IsSubjectId(id)) {
      return InvalidField("subject_id", "a person's id is \"person:\" and 24 lower-case hex");
    }
    return id;
  }
  const std::string code = absl::AsciiStrToUpper(id);
  FG_RETURN_IF_ERROR(subjects::ValidateCreditCode(code, "subject_id"));
  return SubjectIds::OrgId(code);
}

// "<subject id>#bl<n>" → the subject id.
absl::StatusOr<std::string> EntrySubjectId(const std::string& entry_id) {
  const size_t at = entry_id.rfind("#bl");
  int n = 0;
  if (at == std::string::npos || at == 0 || !absl::SimpleAtoi(entry_id.substr(at + 3), &n) ||
      n <= 0) {
    return InvalidField("entry_id", "a blacklist entry id is \"<subject id>#bl<n>\"");
  }
  return CanonicalSubjectId(entry_id.substr(0, at));
}

bool OpenState(v1::BlacklistState s) {
  return s == v1::BLACKLIST_STATE_PROPOSED || s == v1::BLACKLIST_STATE_OBJECTED ||
         s == v1::BLACKLIST_STATE_ACTIVE;
}

const v1::BlacklistEntry* FindEntry(const v1::SubjectState& state, const std::string& entry_id) {
  for (const v1::BlacklistEntry& e : state.blacklist()) {
    if (e.entry_id() == entry_id) return &e;
  }
  return nullptr;
}

absl::Status OutcomeStatus(const CreditStore::FactOutcome& outcome) { return outcome.status; }

bool IsTierCode(absl::string_view t) {
  return (t.size() == 6 || t.size() == 9 || t.size() == 12) &&
         std::all_of(t.begin(), t.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

bool ActsFor(const auth::Principal& p, const v1::SubjectState& state) {
  if (p.subject.empty()) return false;
  return Contains(state.notify_subjects(), p.subject) ||
         Contains(state.subject().account_subjects(), p.subject);
}

bool MayRead(const auth::Principal& p, const v1::SubjectState& state) {
  switch (p.role) {
    case Role::kDistrictAdmin:
    case Role::kInternalService:
      return true;
    case Role::kBuildingManager:
    case Role::kServiceAgency:
      return ActsFor(p, state);
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
      if (state.subject().buildings().empty()) return p.role == Role::kDepartmentOfficer;
      for (const v1::BuildingLink& link : state.subject().buildings()) {
        if (auth::CoversTierPath(p, link.tier_path())) return true;
      }
      return false;
    default:
      return false;
  }
}

v1::Subject Redacted(const auth::Principal& p, const v1::Subject& subject) {
  v1::Subject out = subject;
  if (p.role != Role::kDistrictAdmin && !out.person_id().empty()) {
    out.set_person_id(subjects::MaskPersonId(out.person_id()));
  }
  return out;
}

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
  FG_ASSIGN_OR_RETURN(std::string version, store_->ServingVersion());
  if (version.empty()) {
    return absl::UnavailableError("credit scores are being computed for the first time; retry");
  }
  FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state, store_->LoadSubject(version, id));
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
    v1::Fact fact) {
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state,
                      store_->LoadSubject(applied.first, subject_id));
  if (!state.has_value()) return absl::InternalError("registered subject not found");
  return Redacted(p, state->subject());
}

absl::StatusOr<v1::Profile> CreditApi::GetProfile(const P& p, const v1::GetProfileRequest& req) {
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  const v1::SubjectState& s = loaded.state;
  v1::Profile profile;
  *profile.mutable_subject() = Redacted(p, s.subject());
  profile.set_score(s.score());
  profile.set_level(s.level());
  for (int i = s.blacklist_size() - 1; i >= 0; --i) {
    *profile.add_blacklist() = s.blacklist(i);
    if (s.blacklist(i).state() == v1::BLACKLIST_STATE_ACTIVE) profile.set_blacklisted(true);
  }
  profile.set_rules_version(loaded.version);
  profile.set_ledger_records(s.ledger_records());
  *profile.mutable_updated_at() = s.updated_at();
  return profile;
}

absl::StatusOr<v1::ListLedgerResponse> CreditApi::ListLedger(const P& p,
                                                             const v1::ListLedgerRequest& req) {
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int size = req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  const std::string listing =
      absl::StrCat("ledger\n", loaded.version, "\n", loaded.state.subject().subject_id());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t before = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &before) || before <= 0)) {
    return InvalidField("page_token", "malformed");
  }
  FG_ASSIGN_OR_RETURN(std::vector<v1::LedgerRecord> records,
                      store_->LoadLedger(loaded.version, loaded.state.subject().subject_id(),
                                         before, size));
  v1::ListLedgerResponse resp;
  for (v1::LedgerRecord& r : records) *resp.add_records() = std::move(r);
  if (resp.records_size() == size && resp.records(size - 1).seq() > 1) {
    resp.set_next_page_token(
        EncodePageToken(listing, absl::StrCat(resp.records(size - 1).seq())));
  }
  return resp;
}

absl::StatusOr<v1::ListRankingResponse> CreditApi::ListRanking(const P& p,
                                                               const v1::ListRankingRequest& req) {
  FG_RETURN_IF_ERROR(auth::RequireRole(
      p, {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer,
          Role::kCommunityWorker, Role::kInternalService},
      "list credit rankings"));
  if (req.type() == subjects::v1::SUBJECT_TYPE_UNSPECIFIED ||
      !subjects::v1::SubjectType_IsValid(req.type())) {
    return InvalidField("type", "required: owner, user, manager, service_agency or builder");
  }
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int size = req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  const std::string tier = req.tier_path().empty() ? p.tier_path : req.tier_path();
  if (!IsTierCode(tier)) {
    return InvalidField("tier_path", "a district (6), street (9) or community (12) digit code");
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, tier));
  FG_ASSIGN_OR_RETURN(std::string version, store_->ServingVersion());
  if (version.empty()) return absl::UnavailableError("credit scores are not computed yet; retry");
  const std::string listing = absl::StrCat("ranking\n", version, "\n", tier, "\n", req.type(),
                                           "\n", req.worst_first());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t offset = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &offset) || offset < 0)) {
    return InvalidField("page_token", "malformed");
  }
  FG_ASSIGN_OR_RETURN(CreditStore::RankingPage page,
                      store_->Ranking(version, tier,
                                      std::string(subjects::SubjectTypeName(req.type())), offset,
                                      size, req.worst_first()));
  v1::ListRankingResponse resp;
  resp.set_total(page.total);
  int64_t rank = offset;
  for (const auto& [id, score] : page.subjects) {
    FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state, store_->LoadSubject(version, id));
    v1::RankedSubject* r = resp.add_subjects();
    r->set_rank(++rank);
    r->set_subject_id(id);
    r->set_score(score);
    if (state.has_value()) {
      r->set_name(state->subject().name());
      r->set_level(state->level());
      for (const v1::BlacklistEntry& e : state->blacklist()) {
        if (e.state() == v1::BLACKLIST_STATE_ACTIVE) r->set_blacklisted(true);
      }
    }
  }
  if (offset + static_cast<int64_t>(page.subjects.size()) < page.total &&
      !page.subjects.empty()) {
    resp.set_next_page_token(EncodePageToken(listing, absl::StrCat(rank)));
  }
  return resp;
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
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
  FG_ASSIGN_OR_RETURN(auto applied, AppendAndWait(std::move(fact)));
  FG_RETURN_IF_ERROR(OutcomeStatus(applied.second));
  return EntryResult(p, applied.first, req.entry_id());
}

absl::StatusOr<v1::ListBlacklistResponse> CreditApi::ListBlacklist(
    const P& p, const v1::ListBlacklistRequest& req) {
  FG_RETURN_IF_ERROR(auth::RequireRole(
      p, {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer,
          Role::kCommunityWorker, Role::kInternalService},
      "list the blacklist"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int size = req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  std::vector<v1::BlacklistState> states;
  for (int s : req.states()) states.push_back(static_cast<v1::BlacklistState>(s));
  for (size_t i = 0; i < states.size(); ++i) {
    if (!OpenState(states[i])) {
      return InvalidField(absl::StrCat("states[", i, "]"),
                          "proposed, objected or active (ended entries are in each subject's "
                          "profile and ledger)");
    }
  }
  if (states.empty()) {
    states = {v1::BLACKLIST_STATE_PROPOSED, v1::BLACKLIST_STATE_OBJECTED,
              v1::BLACKLIST_STATE_ACTIVE};
  }
  const std::string tier = req.tier_path().empty() ? p.tier_path : req.tier_path();
  if (!tier.empty() && !IsTierCode(tier)) {
    return InvalidField("tier_path", "a district (6), street (9) or community (12) digit code");
  }
  if (p.role != Role::kInternalService) FG_RETURN_IF_ERROR(auth::RequireTier(p, tier));
  FG_ASSIGN_OR_RETURN(std::string version, store_->ServingVersion());
  if (version.empty()) return absl::UnavailableError("credit scores are not computed yet; retry");
  std::vector<int> state_numbers(states.begin(), states.end());
  std::sort(state_numbers.begin(), state_numbers.end());
  const std::string listing = absl::StrCat("blacklist\n", version, "\n", tier, "\n",
                                           absl::StrJoin(state_numbers, ","));
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t offset = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &offset) || offset < 0)) {
    return InvalidField("page_token", "malformed");
  }
  v1::ListBlacklistResponse resp;
  constexpr int kScan = 200;
  while (resp.entries_size() < size) {
    FG_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        store_->OpenBlacklist(version, offset, kScan));
    if (ids.empty()) {
      offset = -1;
      break;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      ++offset;
      FG_ASSIGN_OR_RETURN(std::string subject_id, EntrySubjectId(ids[i]));
      FG_ASSIGN_OR_RETURN(std::optional<v1::SubjectState> state,
                          store_->LoadSubject(version, subject_id));
      if (!state.has_value()) continue;
      bool in_tier = tier.empty();
      for (const auto& link : state->subject().buildings()) {
        in_tier = in_tier || absl::StartsWith(link.tier_path(), tier);
      }
      if (!in_tier && !(state->subject().buildings().empty() && tier.size() == 6)) continue;
      const v1::BlacklistEntry* e = FindEntry(*state, ids[i]);
      if (e == nullptr || std::find(states.begin(), states.end(), e->state()) == states.end()) {
        continue;
      }
      *resp.add_entries() = *e;
      if (resp.entries_size() == size) break;
    }
    if (static_cast<int>(ids.size()) < kScan && resp.entries_size() < size) {
      offset = -1;
      break;
    }
  }
  if (offset >= 0) resp.set_next_page_token(EncodePageToken(listing, absl::StrCat(offset)));
  return resp;
}

absl::StatusOr<v1::ExportResponse> CreditApi::Export(const P& p, const v1::ExportRequest& req) {
  const bool allowed =
      p.role == Role::kDistrictAdmin || p.role == Role::kInternalService ||
      (p.role == Role::kDepartmentOfficer && p.department == kCreditPlatformDepartment);
  if (!allowed) {
    return absl::PermissionDeniedError(
        "only district admins, internal services and development & reform officers (the public "
        "credit platform) may export");
  }
  if (req.limit() < 0) return InvalidField("limit", "must not be negative");
  if (!v1::ExportFormat_IsValid(req.format())) return InvalidField("format", "unknown format");
  const int limit = req.limit() == 0 ? kDefaultExportLimit : std::min(req.limit(), kMaxExportLimit);
  const std::string cursor = req.cursor().empty() ? "0" : req.cursor();
  {
    // A stream id: <ms>-<seq>.
    const size_t dash = cursor.find('-');
    uint64_t a = 0, b = 0;
    const bool ok = cursor == "0" || (dash != std::string::npos &&
                                      absl::SimpleAtoi(cursor.substr(0, dash), &a) &&
                                      absl::SimpleAtoi(cursor.substr(dash + 1), &b));
    if (!ok) return InvalidField("cursor", "not a cursor this export returned");
  }
  FG_ASSIGN_OR_RETURN(CreditStore::ExportPage page, store_->ExportAfter(cursor, limit));
  v1::ExportResponse resp;
  std::vector<v1::ExportRecord> records;
  records.reserve(page.records.size());
  std::string next = req.cursor();
  for (auto& [id, record] : page.records) {
    next = id;
    records.push_back(record);
    *resp.add_records() = std::move(record);
  }
  resp.set_content(req.format() == v1::EXPORT_FORMAT_CSV ? RenderCsv(records)
                                                          : RenderJsonLines(records));
  resp.set_next_cursor(next);
  resp.set_more(page.more);
  return resp;
}

absl::StatusOr<v1::RulesInfo> CreditApi::GetRules(const P& p, const v1::GetRulesRequest& req) {
  (void)p;
  (void)req;
  FG_ASSIGN_OR_RETURN(v1::RulesInfo info, store_->Info());
  info.set_loaded_version(rules_->version());
  info.set_base_score(rules_->proto().base_score());
  info.clear_rule_ids();
  for (const auto& r : rules_->proto().hazard_rules()) info.add_rule_ids(r.id());
  for (const auto& r : rules_->proto().manual_rules()) info.add_rule_ids(r.id());
  return info;
}

}  // namespace firegrid::credit
