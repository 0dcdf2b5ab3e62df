// The credit reads: profiles, ledgers, rankings, the blacklist, the export, the rules, the
// read-model check.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/auth/scope.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/redis/read_model_check.h"
#include "libs/subjects/party.h"
#include "services/credit/access.h"
#include "services/credit/export_format.h"
#include "services/credit/read_model_check.h"
#include "services/credit/service.h"

namespace firegrid::credit {
namespace {

using auth::Role;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kDefaultExportLimit = 500;
constexpr int kMaxExportLimit = 5000;
// The department of the district public credit platform (config/departments.textproto).
constexpr absl::string_view kCreditPlatformDepartment = "development_reform";

}  // namespace

absl::StatusOr<v1::Profile> CreditApi::GetProfile(const P& p, const v1::GetProfileRequest& req) {
  if (req.reveal_personal_data() && p.role != auth::Role::kDistrictAdmin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "role ", auth::RoleName(p.role), " may not reveal personal data (reveal_personal_data)"));
  }
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  const v1::SubjectState& s = loaded.state;
  v1::Profile profile;
  if (!req.reveal_personal_data()) {
    *profile.mutable_subject() = Redacted(s.subject());
  } else {
    std::vector<std::string> fields;
    if (!s.subject().person_id().empty()) fields.push_back("subject.person_id");
    FG_RETURN_IF_ERROR(audit::RecordPersonalDataRead(personal_data_audit_,
                                                     "/firegrid.credit.v1.CreditService/GetProfile",
                                                     p, s.subject().subject_id(), fields));
    *profile.mutable_subject() = s.subject();
  }
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
  const int size =
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  FG_ASSIGN_OR_RETURN(Loaded loaded, LoadVisible(p, req.subject_id()));
  const std::string listing =
      absl::StrCat("ledger\n", loaded.version, "\n", loaded.state.subject().subject_id());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t before = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &before) || before <= 0)) {
    return InvalidField("page_token", "malformed");
  }
  FG_ASSIGN_OR_RETURN(
      std::vector<v1::LedgerRecord> records,
      store_->LoadLedger(loaded.version, loaded.state.subject().subject_id(), before, size));
  v1::ListLedgerResponse resp;
  for (v1::LedgerRecord& r : records) *resp.add_records() = std::move(r);
  if (resp.records_size() == size && resp.records(size - 1).seq() > 1) {
    resp.set_next_page_token(EncodePageToken(listing, absl::StrCat(resp.records(size - 1).seq())));
  }
  return resp;
}

absl::StatusOr<v1::ListRankingResponse> CreditApi::ListRanking(const P& p,
                                                               const v1::ListRankingRequest& req) {
  FG_RETURN_IF_ERROR(
      auth::RequireRole(p,
                        {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer,
                         Role::kCommunityWorker, Role::kInternalService},
                        "list credit rankings"));
  if (req.type() == subjects::v1::SUBJECT_TYPE_UNSPECIFIED ||
      !subjects::v1::SubjectType_IsValid(req.type())) {
    return InvalidField("type", "required: owner, user, manager, service_agency or builder");
  }
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int size =
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  const std::string tier = req.tier_path().empty() ? p.tier_path : req.tier_path();
  if (!IsTierCode(tier)) {
    return InvalidField("tier_path", "a district (6), street (9) or community (12) digit code");
  }
  FG_RETURN_IF_ERROR(auth::RequireTier(p, tier));
  FG_ASSIGN_OR_RETURN(std::string version, store_->ServingVersion());
  if (version.empty()) return absl::UnavailableError("credit scores are not computed yet; retry");
  const std::string listing =
      absl::StrCat("ranking\n", version, "\n", tier, "\n", req.type(), "\n", req.worst_first());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t offset = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &offset) || offset < 0)) {
    return InvalidField("page_token", "malformed");
  }
  FG_ASSIGN_OR_RETURN(
      CreditStore::RankingPage page,
      store_->Ranking(version, tier, std::string(subjects::SubjectTypeName(req.type())), offset,
                      size, req.worst_first()));
  v1::ListRankingResponse resp;
  resp.set_total(page.total);
  std::vector<std::string> ids;
  for (const auto& ranked : page.subjects) ids.push_back(ranked.first);
  FG_ASSIGN_OR_RETURN(std::vector<std::optional<v1::SubjectState>> states,
                      store_->LoadSubjects(version, ids));  // one round trip for the page
  int64_t rank = offset;
  for (size_t i = 0; i < page.subjects.size(); ++i) {
    const auto& [id, score] = page.subjects[i];
    const std::optional<v1::SubjectState>& state = states[i];
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
  if (offset + static_cast<int64_t>(page.subjects.size()) < page.total && !page.subjects.empty()) {
    resp.set_next_page_token(EncodePageToken(listing, absl::StrCat(rank)));
  }
  return resp;
}

absl::StatusOr<v1::ListBlacklistResponse> CreditApi::ListBlacklist(
    const P& p, const v1::ListBlacklistRequest& req) {
  FG_RETURN_IF_ERROR(
      auth::RequireRole(p,
                        {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer,
                         Role::kCommunityWorker, Role::kInternalService},
                        "list the blacklist"));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int size =
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
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
  const std::string listing =
      absl::StrCat("blacklist\n", version, "\n", tier, "\n", absl::StrJoin(state_numbers, ","));
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
    std::vector<std::string> subject_ids;
    for (const std::string& entry_id : ids) {
      FG_ASSIGN_OR_RETURN(std::string subject_id, EntrySubjectId(entry_id));
      subject_ids.push_back(std::move(subject_id));
    }
    FG_ASSIGN_OR_RETURN(std::vector<std::optional<v1::SubjectState>> scanned,
                        store_->LoadSubjects(version, subject_ids));  // one round trip a scan
    for (size_t i = 0; i < ids.size(); ++i) {
      ++offset;
      const std::optional<v1::SubjectState>& state = scanned[i];
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
    const bool ok = cursor == "0" ||
                    (dash != std::string::npos && absl::SimpleAtoi(cursor.substr(0, dash), &a) &&
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

absl::StatusOr<readmodels::v1::CheckReadModelsResponse> CreditApi::CheckReadModels(
    const P& p, const readmodels::v1::CheckReadModelsRequest& req) {
  FG_RETURN_IF_ERROR(redis::AuthorizeReadModelCheck(p));
  FG_ASSIGN_OR_RETURN(int max, redis::MaxDifferences(req));
  FG_ASSIGN_OR_RETURN(redis::CounterCheck check, CheckServingGeneration(*store_, *rules_, *ids_));
  return redis::ReadModelCheckResponse("scores and rankings", check.records, check.differences,
                                       max);
}

}  // namespace firegrid::credit
