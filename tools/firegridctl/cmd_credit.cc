// Commands of the credit service (信用评价): profiles, ledgers and rankings of the credit
// subjects, manual records, subject registration, the blacklist with its objection and credit
// repair, the export for the district public credit platform and the rule set in force. They
// talk to the credit address (--addr, else FIREGRID_CREDIT_ADDR, else 127.0.0.1:50054).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace cv1 = ::firegrid::credit::v1;
namespace sv1 = ::firegrid::subjects::v1;
using Stub = cv1::CreditService::Stub;

std::unique_ptr<Stub> NewStub(Context& ctx) { return cv1::CreditService::NewStub(ctx.channel()); }

// ----- flags

// An enum flag: a usage error (exit 2) names the flag.
template <typename E>
absl::StatusOr<E> EnumValue(const std::string& flag, absl::string_view text) {
  absl::StatusOr<E> v = ParseEnum<E>(text);
  if (!v.ok()) return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
  return *v;
}

template <typename E>
absl::StatusOr<E> RequiredEnum(const ParsedArgs& args, const std::string& flag) {
  FG_ASSIGN_OR_RETURN(std::string text, args.Require(flag));
  return EnumValue<E>(flag, text);
}

// A value flag that must be present and not blank.
absl::StatusOr<std::string> RequireText(const ParsedArgs& args, const std::string& flag) {
  FG_ASSIGN_OR_RETURN(std::string text, args.Require(flag));
  if (absl::StripAsciiWhitespace(text).empty()) {
    return UsageError(absl::StrCat("--", flag, ": must not be empty"));
  }
  return text;
}

// --page-size N within 1..max; 0 (the server's default) when absent.
absl::StatusOr<int32_t> PageSize(const ParsedArgs& args, const std::string& flag, int64_t max) {
  FG_ASSIGN_OR_RETURN(int64_t n, args.GetInt(flag, 0));
  if (args.Has(flag) && (n < 1 || n > max)) {
    return UsageError(absl::StrCat("--", flag, ": between 1 and ", max));
  }
  return static_cast<int32_t>(n);
}

// Exactly one of two boolean flags: true for `yes`, false for `no`.
absl::StatusOr<bool> OneOf(const ParsedArgs& args, const std::string& yes, const std::string& no) {
  FG_ASSIGN_OR_RETURN(bool y, args.GetBool(yes));
  FG_ASSIGN_OR_RETURN(bool n, args.GetBool(no));
  if (y == n) return UsageError(absl::StrCat("give exactly one of --", yes, ", --", no));
  return y;
}

// "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD" (midnight) in China Standard Time, or RFC 3339 with its
// own offset ("2026-12-01T09:30:00+08:00").
absl::StatusOr<google::protobuf::Timestamp> ParseAt(const std::string& flag,
                                                    absl::string_view text) {
  static const absl::TimeZone* china = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  const std::string t(absl::StripAsciiWhitespace(text));
  absl::Time at;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, t, &at, &err) &&
      !absl::ParseTime("%Y-%m-%dT%H:%M", t, *china, &at, &err) &&
      !absl::ParseTime("%Y-%m-%d", t, *china, &at, &err)) {
    return UsageError(absl::StrCat(
        "--", flag, ": want YYYY-MM-DD[THH:MM] (China time) or RFC 3339, got \"", text, "\""));
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(at));
  return ts;
}

// Repeated evidence: http(s) URLs or "sha256:<hex>", checked by the service.
absl::Status AddEvidence(const ParsedArgs& args,
                         google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const std::string& e : args.GetAll("evidence")) {
    if (e.empty()) return UsageError("--evidence: empty");
    out->Add(std::string(e));
  }
  return absl::OkStatus();
}

// One page, or with --all every page from --page-token on merged into one response.
template <typename Request, typename Response, typename Item>
absl::StatusOr<Response> ListPages(Context& ctx, const ParsedArgs& args, Request req,
                                   grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                                   google::protobuf::RepeatedPtrField<Item>* (Response::*field)()) {
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  auto stub = NewStub(ctx);
  return ctl::ListPages(ctx, *stub, all, std::move(req), method, field);
}

// ----- rendering

std::string LevelCell(cv1::Level level) {
  return level == cv1::LEVEL_UNSPECIFIED ? "" : EnumLabel(level);
}

std::string DeltaCell(int32_t delta) {
  return delta > 0 ? absl::StrCat("+", delta) : absl::StrCat(delta);
}

// What caused a ledger record, in one cell: its kind, the hazard or building, the description.
std::string CauseCell(const cv1::Cause& c) {
  std::vector<std::string> parts = {c.kind()};
  if (!c.hazard_id().empty()) parts.push_back(c.hazard_id());
  if (c.hazard_id().empty() && !c.building_id().empty()) parts.push_back(c.building_id());
  if (!c.description().empty()) parts.push_back(c.description());
  return absl::StrJoin(parts, " ");
}

// Entries in a table that fits 120 columns: the objection deadline to the minute, the effective
// and expiry dates (China Standard Time); the proposal time and the legal basis with --wide.
void PrintEntries(Context& ctx, const google::protobuf::RepeatedPtrField<cv1::BlacklistEntry>& es) {
  Table t({"ENTRY", "SUBJECT", "STATE", "OBJECTION UNTIL", "EFFECTIVE", "EXPIRES", "REASON",
           "PROPOSED", "LEGAL BASIS"});
  t.Elastic(1);
  t.Elastic(6);
  t.Elastic(8);
  t.WideOnly(7);
  t.WideOnly(8);
  for (const cv1::BlacklistEntry& e : es) {
    t.AddRow({e.entry_id(), e.subject_name().empty() ? e.subject_id() : e.subject_name(),
              absl::StrCat(EnumLabel(e.state()), e.automatic() ? " (auto)" : ""),
              FormatTime(e.objection_deadline()), FormatDate(e.effective_at()),
              FormatDate(e.expires_at()), e.reason(), FormatTime(e.proposed_at()),
              e.legal_basis()});
  }
  ctx.out() << t.Render();
}

void PrintEntry(Context& ctx, const cv1::BlacklistEntry& e) {
  if (ctx.json()) {
    ctx.PrintJson(e);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"entry", e.entry_id()},
      {"subject", e.subject_name().empty()
                      ? e.subject_id()
                      : absl::StrCat(e.subject_name(), " (", e.subject_id(), ")")},
      {"state",
       absl::StrCat(EnumLabel(e.state()), e.automatic() ? " (proposed automatically)" : "")},
      {"reason", e.reason()},
      {"legal basis", e.legal_basis()},
      {"proposed", absl::StrCat(FormatTime(e.proposed_at()),
                                e.proposed_by().empty() ? "" : " by " + e.proposed_by())},
      {"objection until", FormatTime(e.objection_deadline())},
  };
  if (e.has_effective_at()) kv.push_back({"effective", FormatTime(e.effective_at())});
  if (e.has_expires_at()) kv.push_back({"expires", FormatTime(e.expires_at())});
  if (e.has_ended_at()) kv.push_back({"ended", FormatTime(e.ended_at())});
  if (e.has_objection()) {
    const cv1::Objection& o = e.objection();
    kv.push_back({"objection",
                  absl::StrCat(o.text(), " (", o.filed_by(), ", ", FormatTime(o.filed_at()), ")")});
    if (o.reviewed()) {
      kv.push_back({"objection review",
                    absl::StrCat(o.upheld() ? "upheld" : "dismissed", ": ", o.decision_note(), " (",
                                 o.reviewed_by(), ", ", FormatTime(o.reviewed_at()), ")")});
    }
  }
  if (e.has_repair()) {
    const cv1::RepairApplication& r = e.repair();
    kv.push_back({"repair", absl::StrCat(r.statement(), " (", r.requested_by(), ", ",
                                         FormatTime(r.requested_at()), ")")});
    if (!r.evidence().empty()) kv.push_back({"repair evidence", absl::StrJoin(r.evidence(), ", ")});
    if (r.reviewed()) {
      kv.push_back({"repair review",
                    absl::StrCat(r.approved() ? "approved" : "refused", ": ", r.decision_note(),
                                 " (", r.reviewed_by(), ", ", FormatTime(r.reviewed_at()), ")")});
    }
  }
  ctx.out() << RenderKeyValues(kv);
}

void PrintRecord(Context& ctx, const cv1::LedgerRecord& r) {
  if (ctx.json()) {
    ctx.PrintJson(r);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"record", r.record_id()},
      {"kind", EnumLabel(r.kind())},
      {"rule", r.rule_id().empty() ? "" : absl::StrCat(r.rule_id(), " (", r.rules_version(), ")")},
      {"delta", DeltaCell(r.delta())},
      {"score after", absl::StrCat(r.score_after())},
      {"level after", LevelCell(r.level_after())},
      {"at", FormatTime(r.at())},
      {"cause", CauseCell(r.cause())},
  };
  if (!r.cause().legal_basis().empty()) kv.push_back({"legal basis", r.cause().legal_basis()});
  if (!r.cause().actor().empty()) kv.push_back({"by", r.cause().actor()});
  if (!r.entry_id().empty()) kv.push_back({"blacklist entry", r.entry_id()});
  ctx.out() << RenderKeyValues(kv);
}

std::vector<std::pair<std::string, std::string>> SubjectPairs(const cv1::Subject& s) {
  std::vector<std::pair<std::string, std::string>> kv = {
      {"subject", s.subject_id()},
      {"name", s.name()},
      {"type", EnumLabel(s.type())},
  };
  if (!s.credit_code().empty()) kv.push_back({"credit code", s.credit_code()});
  if (!s.person_id().empty()) kv.push_back({"person id", s.person_id()});
  if (!s.account_subjects().empty()) {
    kv.push_back({"accounts", absl::StrJoin(s.account_subjects(), ", ")});
  }
  if (s.has_registered_at()) kv.push_back({"registered", FormatTime(s.registered_at())});
  return kv;
}

void PrintBuildings(Context& ctx, const cv1::Subject& s) {
  if (s.buildings().empty()) return;
  Table t({"BUILDING", "NAME", "TIER", "ROLE"});
  t.Elastic(1);
  for (const cv1::BuildingLink& b : s.buildings()) {
    t.AddRow({b.building_id(), b.building_name(), b.tier_path(), EnumLabel(b.role())});
  }
  ctx.out() << "\n" << t.Render();
}

// ----- profile, ledger, ranking

absl::Status Profile(Context& ctx, const ParsedArgs& args) {
  cv1::GetProfileRequest req;
  req.set_subject_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::Profile p, Unary(ctx, *stub, &Stub::GetProfile, req));
  if (ctx.json()) {
    ctx.PrintJson(p);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, std::string>> kv = SubjectPairs(p.subject());
  kv.push_back({"score", absl::StrCat(p.score())});
  kv.push_back({"level", LevelCell(p.level())});
  kv.push_back({"blacklisted", YesNo(p.blacklisted())});
  kv.push_back({"rules", p.rules_version()});
  kv.push_back({"ledger records", absl::StrCat(p.ledger_records())});
  kv.push_back({"updated", FormatTime(p.updated_at())});
  ctx.out() << RenderKeyValues(kv);
  PrintBuildings(ctx, p.subject());
  if (!p.blacklist().empty()) {
    ctx.out() << "\n";
    PrintEntries(ctx, p.blacklist());
  }
  return absl::OkStatus();
}

absl::Status Ledger(Context& ctx, const ParsedArgs& args) {
  cv1::ListLedgerRequest req;
  req.set_subject_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(int32_t page_size, PageSize(args, "page-size", 500));
  req.set_page_size(page_size);
  req.set_page_token(args.GetOr("page-token", ""));
  FG_ASSIGN_OR_RETURN(
      cv1::ListLedgerResponse out,
      ListPages(ctx, args, req, &Stub::ListLedger, &cv1::ListLedgerResponse::mutable_records));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"SEQ", "AT", "KIND", "RULE", "DELTA", "SCORE", "LEVEL", "CAUSE", "BY", "RECORD"});
  t.AlignRight(0);
  t.AlignRight(4);
  t.AlignRight(5);
  t.Elastic(7);
  t.WideOnly(8);
  t.WideOnly(9);
  for (const cv1::LedgerRecord& r : out.records()) {
    t.AddRow({absl::StrCat(r.seq()), FormatTime(r.at()), EnumLabel(r.kind()), r.rule_id(),
              DeltaCell(r.delta()), absl::StrCat(r.score_after()), LevelCell(r.level_after()),
              CauseCell(r.cause()), r.cause().actor(), r.record_id()});
  }
  ctx.out() << t.Render();
  if (!out.next_page_token().empty()) {
    ctx.out().flush();
    ctx.err() << "more: --page-token " << out.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status Ranking(Context& ctx, const ParsedArgs& args) {
  cv1::ListRankingRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  FG_ASSIGN_OR_RETURN(sv1::SubjectType type, RequiredEnum<sv1::SubjectType>(args, "type"));
  req.set_type(type);
  FG_ASSIGN_OR_RETURN(bool worst, args.GetBool("worst"));
  req.set_worst_first(worst);
  FG_ASSIGN_OR_RETURN(int32_t page_size, PageSize(args, "page-size", 500));
  req.set_page_size(page_size);
  req.set_page_token(args.GetOr("page-token", ""));
  FG_ASSIGN_OR_RETURN(
      cv1::ListRankingResponse out,
      ListPages(ctx, args, req, &Stub::ListRanking, &cv1::ListRankingResponse::mutable_subjects));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"RANK", "SUBJECT", "NAME", "SCORE", "LEVEL", "BLACKLISTED"});
  t.AlignRight(0);
  t.AlignRight(3);
  t.Elastic(2);
  for (const cv1::RankedSubject& s : out.subjects()) {
    t.AddRow({absl::StrCat(s.rank()), s.subject_id(), s.name(), absl::StrCat(s.score()),
              LevelCell(s.level()), s.blacklisted() ? "yes" : ""});
  }
  ctx.out() << t.Render();
  ctx.out().flush();
  ctx.err() << out.total() << " subjects";
  if (!out.next_page_token().empty())
    ctx.err() << "; more: --page-token " << out.next_page_token() << " (or --all)";
  ctx.err() << "\n";
  return absl::OkStatus();
}

// ----- record, register

absl::Status Record(Context& ctx, const ParsedArgs& args) {
  cv1::RecordManualRequest req;
  req.set_subject_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(*req.mutable_rule_id(), RequireText(args, "rule"));
  FG_ASSIGN_OR_RETURN(*req.mutable_reason(), RequireText(args, "reason"));
  FG_ASSIGN_OR_RETURN(*req.mutable_legal_basis(), RequireText(args, "legal-basis"));
  req.set_building_id(args.GetOr("building", ""));
  FG_RETURN_IF_ERROR(AddEvidence(args, req.mutable_evidence()));
  if (std::optional<std::string> at = args.Get("at")) {
    FG_ASSIGN_OR_RETURN(*req.mutable_occurred_at(), ParseAt("at", *at));
  }
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::LedgerRecord r, Unary(ctx, *stub, &Stub::RecordManual, req));
  PrintRecord(ctx, r);
  return absl::OkStatus();
}

absl::Status Register(Context& ctx, const ParsedArgs& args) {
  cv1::RegisterSubjectRequest req;
  sv1::Party* party = req.mutable_party();
  FG_ASSIGN_OR_RETURN(sv1::PartyRole role, RequiredEnum<sv1::PartyRole>(args, "role"));
  party->set_role(role);
  FG_ASSIGN_OR_RETURN(*party->mutable_name(), RequireText(args, "name"));
  if (args.Has("code") == args.Has("person-id")) {
    return UsageError("give exactly one of --code (an organisation) and --person-id (a person)");
  }
  party->set_credit_code(args.GetOr("code", ""));
  party->set_person_id(args.GetOr("person-id", ""));
  party->set_account_subject(args.GetOr("account", ""));
  req.set_building_id(args.GetOr("building", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::Subject s, Unary(ctx, *stub, &Stub::RegisterSubject, req));
  if (ctx.json()) {
    ctx.PrintJson(s);
    return absl::OkStatus();
  }
  ctx.out() << RenderKeyValues(SubjectPairs(s));
  PrintBuildings(ctx, s);
  return absl::OkStatus();
}

// ----- blacklist

absl::Status BlacklistList(Context& ctx, const ParsedArgs& args) {
  cv1::ListBlacklistRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  for (const std::string& value : args.GetAll("state")) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      FG_ASSIGN_OR_RETURN(cv1::BlacklistState s, EnumValue<cv1::BlacklistState>("state", part));
      req.add_states(s);
    }
  }
  FG_ASSIGN_OR_RETURN(int32_t page_size, PageSize(args, "page-size", 500));
  req.set_page_size(page_size);
  req.set_page_token(args.GetOr("page-token", ""));
  FG_ASSIGN_OR_RETURN(cv1::ListBlacklistResponse out,
                      ListPages(ctx, args, req, &Stub::ListBlacklist,
                                &cv1::ListBlacklistResponse::mutable_entries));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  PrintEntries(ctx, out.entries());
  if (!out.next_page_token().empty()) {
    ctx.out().flush();
    ctx.err() << "more: --page-token " << out.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status Propose(Context& ctx, const ParsedArgs& args) {
  cv1::ProposeBlacklistRequest req;
  req.set_subject_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(*req.mutable_reason(), RequireText(args, "reason"));
  FG_ASSIGN_OR_RETURN(*req.mutable_legal_basis(), RequireText(args, "legal-basis"));
  FG_ASSIGN_OR_RETURN(int64_t days, args.GetInt("days", 0));
  if (args.Has("days") && (days < 1 || days > 3650)) {
    return UsageError("--days: between 1 and 3650 (the rule set caps it further)");
  }
  req.set_duration_days(static_cast<int32_t>(days));
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::BlacklistEntry e, Unary(ctx, *stub, &Stub::ProposeBlacklist, req));
  PrintEntry(ctx, e);
  return absl::OkStatus();
}

absl::Status Object(Context& ctx, const ParsedArgs& args) {
  cv1::FileObjectionRequest req;
  req.set_entry_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(*req.mutable_text(), RequireText(args, "text"));
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::BlacklistEntry e, Unary(ctx, *stub, &Stub::FileObjection, req));
  PrintEntry(ctx, e);
  return absl::OkStatus();
}

absl::Status ReviewObjection(Context& ctx, const ParsedArgs& args) {
  cv1::ReviewObjectionRequest req;
  req.set_entry_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(bool upheld, OneOf(args, "upheld", "dismissed"));
  req.set_upheld(upheld);
  FG_ASSIGN_OR_RETURN(*req.mutable_note(), RequireText(args, "note"));
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::BlacklistEntry e, Unary(ctx, *stub, &Stub::ReviewObjection, req));
  PrintEntry(ctx, e);
  return absl::OkStatus();
}

absl::Status Repair(Context& ctx, const ParsedArgs& args) {
  cv1::RequestRepairRequest req;
  req.set_entry_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(*req.mutable_statement(), RequireText(args, "statement"));
  FG_RETURN_IF_ERROR(AddEvidence(args, req.mutable_evidence()));
  if (req.evidence().empty()) return UsageError("--evidence: at least one (what was rectified)");
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::BlacklistEntry e, Unary(ctx, *stub, &Stub::RequestRepair, req));
  PrintEntry(ctx, e);
  return absl::OkStatus();
}

absl::Status ReviewRepair(Context& ctx, const ParsedArgs& args) {
  cv1::ReviewRepairRequest req;
  req.set_entry_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(bool approved, OneOf(args, "approved", "refused"));
  req.set_approved(approved);
  FG_ASSIGN_OR_RETURN(*req.mutable_note(), RequireText(args, "note"));
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::BlacklistEntry e, Unary(ctx, *stub, &Stub::ReviewRepair, req));
  PrintEntry(ctx, e);
  return absl::OkStatus();
}

// ----- export, rules

// Pages from --cursor: the records (content) on stdout, the cursor to continue from on stderr,
// so that `firegridctl credit export > records.jsonl` captures the records only. --all follows
// pages while the service says more are available (a CSV's header line once).
absl::Status Export(Context& ctx, const ParsedArgs& args) {
  cv1::ExportRequest req;
  req.set_cursor(args.GetOr("cursor", ""));
  FG_ASSIGN_OR_RETURN(int32_t limit, PageSize(args, "limit", 5000));
  req.set_limit(limit);
  FG_ASSIGN_OR_RETURN(cv1::ExportFormat format,
                      EnumValue<cv1::ExportFormat>("format", args.GetOr("format", "jsonl")));
  req.set_format(format);
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  auto stub = NewStub(ctx);
  cv1::ExportResponse merged;
  for (bool first = true;; first = false) {
    FG_ASSIGN_OR_RETURN(cv1::ExportResponse page, Unary(ctx, *stub, &Stub::Export, req));
    if (ctx.json()) {
      merged.mutable_records()->MergeFrom(page.records());
    } else {
      absl::string_view content = page.content();
      if (!first && req.format() == cv1::EXPORT_FORMAT_CSV) {
        // Every page repeats the header line: keep the first page's only.
        const size_t nl = content.find('\n');
        content = nl == absl::string_view::npos ? "" : content.substr(nl + 1);
      }
      ctx.out() << content;
      if (!content.empty() && content.back() != '\n') ctx.out() << "\n";
    }
    merged.set_next_cursor(page.next_cursor());
    merged.set_more(page.more());
    const bool advanced = page.next_cursor() != req.cursor();
    if (!all || !page.more() || !advanced) break;
    req.set_cursor(page.next_cursor());
  }
  if (ctx.json()) ctx.PrintJson(merged);
  ctx.out().flush();
  ctx.err() << "next cursor: " << merged.next_cursor()
            << (merged.more() ? " (more records are available)" : "") << "\n";
  return absl::OkStatus();
}

absl::Status Rules(Context& ctx, const ParsedArgs&) {
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(cv1::RulesInfo r, Unary(ctx, *stub, &Stub::GetRules, cv1::GetRulesRequest()));
  if (ctx.json()) {
    ctx.PrintJson(r);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"in force", r.version()},
      {"loaded", r.loaded_version()},
      {"base score", absl::StrCat(r.base_score())},
      {"rules", absl::StrJoin(r.rule_ids(), ", ")},
      {"replay", r.replay() == cv1::REPLAY_STATE_UNSPECIFIED ? "" : EnumLabel(r.replay())},
  };
  kv.push_back({"history", absl::StrCat(r.history_facts(), " facts")});
  if (!r.replay_version().empty()) kv.push_back({"replay of", r.replay_version()});
  // Progress means something only while a replay runs: a finished one applied what the history
  // held then, and the history has grown since.
  if (r.replay() == cv1::REPLAY_STATE_RUNNING) {
    const std::string progress =
        r.history_facts() > 0
            ? absl::StrCat(" (", FormatNumber(100.0 * r.replay_applied() / r.history_facts(), 1),
                           "%)")
            : "";
    kv.push_back({"replay progress",
                  absl::StrCat(r.replay_applied(), " of ", r.history_facts(), " facts", progress)});
  }
  if (r.has_replay_started_at())
    kv.push_back({"replay started", FormatTime(r.replay_started_at())});
  if (r.has_replay_finished_at()) {
    kv.push_back({"replay finished", FormatTime(r.replay_finished_at())});
  }
  ctx.out() << RenderKeyValues(kv);
  return absl::OkStatus();
}

// Every credit command goes to the credit service.
Command Credit(Command c) {
  c.endpoint = FixedEndpoint(kCreditEndpoint);
  return c;
}

FlagSpec RequestIdFlag() {
  return ValueFlag("request-id", "K  a retry with the same key records nothing more");
}

}  // namespace

void RegisterCreditCommands(Registry* registry) {
  registry->Add(
      Credit(Command{.path = {"credit", "profile"},
                     .synopsis = "SUBJECT",
                     .summary = "a credit subject's score, level, buildings and blacklist entries",
                     .min_positionals = 1,
                     .max_positionals = 1,
                     .run = Profile}));
  registry->Add(Credit(
      Command{.path = {"credit", "ledger"},
              .synopsis = "SUBJECT [--page-size N] [--page-token T] [--all]",
              .summary = "a subject's ledger, newest first: every change, its rule and its cause",
              .flags = {ValueFlag("page-size", "N  1..500 (default 50)"),
                        ValueFlag("page-token", "T  continue a listing"),
                        BoolFlag("all", "follow every page")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = Ledger}));
  registry->Add(Credit(Command{
      .path = {"credit", "ranking"},
      .synopsis = "--type T [--tier P] [--worst] [--page-size N] [--page-token T] [--all]",
      .summary = "subjects of one type by score within a tier, best (or worst) first",
      .flags = {ValueFlag("type", "T  owner|user|manager|service_agency|builder"),
                ValueFlag("tier", "P  district, street or community code (default: the caller's)"),
                BoolFlag("worst", "worst first"), ValueFlag("page-size", "N  1..500 (default 50)"),
                ValueFlag("page-token", "T  continue a listing"),
                BoolFlag("all", "follow every page")},
      .run = Ranking}));
  registry->Add(Credit(Command{
      .path = {"credit", "record"},
      .synopsis = "SUBJECT --rule R --reason R --legal-basis L [--building ID] [--evidence URL]... "
                  "[--at T] [--request-id K]",
      .summary = "record a violation, drill or commendation by hand (a manual rule)",
      .flags = {ValueFlag("rule", "R  e.g. violation.fire_lane_blocked, credit.drill"),
                ValueFlag("reason", "R  what happened (required)"),
                ValueFlag("legal-basis", "L  the article it rests on (required)"),
                ValueFlag("building", "ID  where"),
                RepeatedFlag("evidence", "URL  http(s) URL or sha256:<hex> (repeatable)"),
                ValueFlag("at", "T  when: YYYY-MM-DD[THH:MM] China time or RFC 3339 (default now)"),
                RequestIdFlag()},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = Record}));
  registry->Add(Credit(Command{
      .path = {"credit", "register"},
      .synopsis = "--role R --name N (--code USCC | --person-id ID) [--account S] [--building ID]",
      .summary = "register (or rename) a credit subject explicitly",
      .flags = {ValueFlag("role",
                          "R  owner|occupant|management_unit|property_company|"
                          "maintenance_agency|builder"),
                ValueFlag("name", "N  the organisation's or person's name"),
                ValueFlag("code", "USCC  18-character unified social credit code"),
                ValueFlag("person-id", "ID  18-character resident identity number"),
                ValueFlag("account", "S  the firegrid subject acting for it"),
                ValueFlag("building", "ID  link it to this building")},
      .run = Register}));
  registry->Add(Credit(Command{
      .path = {"credit", "blacklist", "list"},
      .synopsis = "[--tier P] [--state S]... [--page-size N] [--page-token T] [--all]",
      .summary = "blacklist entries (default: proposed, objected and active)",
      .flags = {ValueFlag("tier", "P  district, street or community code (default: the caller's)"),
                RepeatedFlag("state",
                             "S  proposed|objected|active|withdrawn|expired|repaired (comma list)"),
                ValueFlag("page-size", "N  1..500"),
                ValueFlag("page-token", "T  continue a listing"),
                BoolFlag("all", "follow every page")},
      .run = BlacklistList}));
  registry->Add(Credit(Command{
      .path = {"credit", "blacklist", "propose"},
      .synopsis = "SUBJECT --reason R --legal-basis L [--days N] [--request-id K]",
      .summary = "propose a blacklist entry; it takes effect after its objection period",
      .flags = {ValueFlag("reason", "R  why (required)"),
                ValueFlag("legal-basis", "L  the article it rests on (required)"),
                ValueFlag("days", "N  how long it lasts once effective (default: the rule set's)"),
                RequestIdFlag()},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = Propose}));
  registry->Add(
      Credit(Command{.path = {"credit", "blacklist", "object"},
                     .synopsis = "ENTRY --text T [--request-id K]",
                     .summary = "object to a proposed entry within its objection period (异议)",
                     .flags = {ValueFlag("text", "T  the objection (required)"), RequestIdFlag()},
                     .min_positionals = 1,
                     .max_positionals = 1,
                     .run = Object}));
  registry->Add(Credit(Command{
      .path = {"credit", "blacklist", "review"},
      .synopsis = "ENTRY --upheld|--dismissed --note N [--request-id K]",
      .summary = "review an objection: upheld withdraws the entry, dismissed puts it in effect",
      .flags = {BoolFlag("upheld", "the objection stands: the entry is withdrawn"),
                BoolFlag("dismissed", "the objection fails: the entry takes effect now"),
                ValueFlag("note", "N  the decision (required)"), RequestIdFlag()},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = ReviewObjection}));
  registry->Add(Credit(
      Command{.path = {"credit", "blacklist", "repair"},
              .synopsis = "ENTRY --statement S --evidence URL [--evidence URL]... [--request-id K]",
              .summary = "apply for credit repair (信用修复) of an active entry after rectifying",
              .flags = {ValueFlag("statement", "S  what was rectified (required)"),
                        RepeatedFlag("evidence", "URL  http(s) URL or sha256:<hex> (at least one)"),
                        RequestIdFlag()},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = Repair}));
  registry->Add(
      Credit(Command{.path = {"credit", "blacklist", "repair-review"},
                     .synopsis = "ENTRY --approved|--refused --note N [--request-id K]",
                     .summary = "decide a credit repair application: approved ends the entry",
                     .flags = {BoolFlag("approved", "the entry ends (repaired)"),
                               BoolFlag("refused", "the entry stays in effect"),
                               ValueFlag("note", "N  the decision (required)"), RequestIdFlag()},
                     .min_positionals = 1,
                     .max_positionals = 1,
                     .run = ReviewRepair}));
  registry->Add(Credit(Command{
      .path = {"credit", "export"},
      .synopsis = "[--cursor C] [--limit N] [--format jsonl|csv] [--all]",
      .summary = "records for the public credit platform on stdout, the next cursor on stderr",
      .flags = {ValueFlag("cursor", "C  continue after a previous export (default: the start)"),
                ValueFlag("limit", "N  records per page, 1..5000 (default 500)"),
                ValueFlag("format", "jsonl|csv  (default jsonl)"),
                BoolFlag("all", "follow the pages while more records are available")},
      .run = Export}));
  registry->Add(Credit(
      Command{.path = {"credit", "rules"},
              .summary = "the rule set in force and the progress of a replay under a new one",
              .run = Rules}));
}

}  // namespace firegrid::ctl
