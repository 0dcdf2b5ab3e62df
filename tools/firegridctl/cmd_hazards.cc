// Commands of the hazards service: report, read and list hazards, move them through the
// lifecycle (verify / reject / assign / start / submit / review), re-categorise, merge
// duplicates, the process guidance and the statistics. They talk to the hazards address
// (--addr, else FIREGRID_HAZARDS_ADDR, else 127.0.0.1:50052).
#include <functional>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "services/hazards/departments.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;
namespace sv1 = ::firegrid::subjects::v1;
using Stub = hv1::HazardService::Stub;

std::unique_ptr<Stub> NewStub(Context& ctx) { return hv1::HazardService::NewStub(ctx.channel()); }

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

// An enum flag: a usage error (exit 2) names the flag.
template <typename E>
absl::StatusOr<E> EnumValue(const std::string& flag, absl::string_view text) {
  absl::StatusOr<E> v = ParseEnum<E>(text);
  if (!v.ok()) {
    return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
  }
  return *v;
}

template <typename E>
absl::StatusOr<E> RequiredEnum(const ParsedArgs& args, const std::string& flag) {
  FG_ASSIGN_OR_RETURN(std::string text, args.Require(flag));
  return EnumValue<E>(flag, text);
}

// Repeated or comma-separated enum flags ("--status reported,verified --status assigned").
template <typename E>
absl::StatusOr<std::vector<E>> EnumList(const ParsedArgs& args, const std::string& flag) {
  std::vector<E> out;
  for (const std::string& value : args.GetAll(flag)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      FG_ASSIGN_OR_RETURN(E v, EnumValue<E>(flag, part));
      out.push_back(v);
    }
  }
  return out;
}

// "YYYY-MM-DD" (the end of that day) or "YYYY-MM-DDTHH:MM", China Standard Time.
absl::StatusOr<google::protobuf::Timestamp> ParseDeadline(absl::string_view text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  absl::Time at;
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M", t, ChinaTime(), &at, &err)) {
    // as given
  } else if (absl::ParseTime("%Y-%m-%d", t, ChinaTime(), &at, &err)) {
    at += absl::Hours(24) - absl::Seconds(1);  // 23:59:59 of that day
  } else {
    return UsageError(
        absl::StrCat("--deadline: want YYYY-MM-DD or YYYY-MM-DDTHH:MM, got \"", text, "\""));
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(at));
  return ts;
}

absl::Status AddEvidence(const ParsedArgs& args,
                         google::protobuf::RepeatedPtrField<hv1::Evidence>* out) {
  for (const std::string& uri : args.GetAll("evidence")) {
    if (uri.empty()) return absl::InvalidArgumentError("--evidence: empty");
    out->Add()->set_uri(uri);
  }
  return absl::OkStatus();
}

// --liable ROLE:NAME:CODE — the party liable for a hazard. ROLE is a party role label
// (management_unit, property_company, owner, occupant, maintenance_agency, builder); NAME may
// contain colons; CODE is an organisation's unified social credit code or a person's identity
// number: a valid identity number (GB 11643) that is not a valid credit code is a person's,
// anything else is sent as a credit code (the service validates it and names the field).
absl::StatusOr<std::optional<sv1::Party>> LiableFlag(const ParsedArgs& args) {
  std::optional<std::string> text = args.Get("liable");
  if (!text.has_value()) return std::nullopt;
  const size_t first = text->find(':');
  const size_t last = text->rfind(':');
  if (first == std::string::npos || first == last) {
    return UsageError(absl::StrCat("--liable: want ROLE:NAME:CODE, got \"", *text, "\""));
  }
  const std::string role_text = text->substr(0, first);
  absl::StatusOr<sv1::PartyRole> role = ParseEnum<sv1::PartyRole>(role_text);
  if (!role.ok()) return UsageError(absl::StrCat("--liable: ", role.status().message()));
  sv1::Party party;
  party.set_role(*role);
  party.set_name(text->substr(first + 1, last - first - 1));
  const std::string code = text->substr(last + 1);
  if (party.name().empty() || code.empty()) {
    return UsageError(absl::StrCat("--liable: want ROLE:NAME:CODE, got \"", *text, "\""));
  }
  const std::string upper = absl::AsciiStrToUpper(code);
  if (subjects::ValidatePersonId(upper, "code").ok() &&
      !subjects::ValidateCreditCode(upper, "code").ok()) {
    party.set_person_id(code);
  } else {
    party.set_credit_code(code);
  }
  return party;
}

// "name (role, credit code or person id as the service shows it)".
std::string PartyCell(const sv1::Party& p) {
  return absl::StrCat(p.name(), " (", EnumLabel(p.role()), ", ",
                      p.credit_code().empty() ? p.person_id() : p.credit_code(), ")");
}

// A department as tables show it: its name from the departments file
// (config/departments.textproto, built in), or the slug when the file does not list it.
std::string DepartmentName(const std::string& slug) {
  return hazards::Departments::Shipped().Name(slug);
}

std::string Departments(const google::protobuf::RepeatedPtrField<std::string>& slugs) {
  std::vector<std::string> names;
  for (const std::string& s : slugs) names.push_back(DepartmentName(s));
  return absl::StrJoin(names, ",");
}

// Names of the org units under `prefix` (streets/towns, communities/villages), code → name,
// from the buildings service that registers them (FIREGRID_ADDR, else its default address), for
// the tables. Empty when it cannot be asked: the codes are shown alone.
std::map<std::string, std::string> OrgUnitNames(Context& ctx, const std::string& prefix) {
  std::map<std::string, std::string> names;
  const std::string addr = ctx.GetEnv(kBuildingsEndpoint.env).value_or(kBuildingsEndpoint.fallback);
  auto stub =
      bv1::BuildingService::NewStub(grpc::CreateChannel(addr, ctx.credentials()));
  bv1::ListOrgUnitsRequest req;
  req.set_tier_path_prefix(prefix);
  req.set_page_size(1000);
  for (int page = 0; page < 20; ++page) {
    auto resp = Unary(ctx, *stub, &bv1::BuildingService::Stub::ListOrgUnits, req);
    if (!resp.ok()) break;
    for (const bv1::OrgUnit& u : resp->org_units()) names[u.code()] = u.name();
    if (resp->next_page_token().empty()) break;
    req.set_page_token(resp->next_page_token());
  }
  return names;
}

// "name (code)" when the code has a name, else the code.
std::string Named(const std::map<std::string, std::string>& names, const std::string& code) {
  auto it = names.find(code);
  return it == names.end() || it->second.empty() ? code : absl::StrCat(it->second, " (", code, ")");
}

bool IsActive(hv1::Status s) {
  return s == hv1::STATUS_VERIFIED || s == hv1::STATUS_ASSIGNED || s == hv1::STATUS_RECTIFYING ||
         s == hv1::STATUS_SUBMITTED;
}

// Overdue as the list filter counts it: active and past the deadline (or flagged by the
// service's overdue timer).
bool Overdue(const hv1::Hazard& h, absl::Time now) {
  if (!IsActive(h.status())) return false;
  if (h.overdue()) return true;
  return h.assignment().has_deadline() &&
         h.assignment().deadline().seconds() < absl::ToUnixSeconds(now);
}

std::string StatusCell(const hv1::Hazard& h) {
  std::string s = EnumLabel(h.status());
  if (!h.duplicate_of().empty()) absl::StrAppend(&s, " (duplicate)");
  if (h.status() == hv1::STATUS_REPORTED && h.severity() == hv1::SEVERITY_MAJOR &&
      !h.confirmations().empty()) {
    absl::StrAppend(&s, " (", h.confirmations_size(), " confirmed)");
  }
  return s;
}

std::string ReporterCell(const hv1::Reporter& r) {
  if (r.anonymous()) return "anonymous";
  std::vector<std::string> parts;
  if (!r.name().empty()) parts.push_back(r.name());
  if (!r.contact().empty()) parts.push_back(r.contact());
  std::string s = absl::StrJoin(parts, " ");
  if (!r.subject().empty()) absl::StrAppend(&s, s.empty() ? "" : " ", "(", r.subject(), ")");
  return s;
}

std::string EvidenceCell(const google::protobuf::RepeatedPtrField<hv1::Evidence>& evidence) {
  std::vector<std::string> uris;
  for (const hv1::Evidence& e : evidence) {
    uris.push_back(e.description().empty() ? e.uri()
                                           : absl::StrCat(e.uri(), " (", e.description(), ")"));
  }
  return absl::StrJoin(uris, ", ");
}

void PrintHazardRows(Context& ctx, const google::protobuf::RepeatedPtrField<hv1::Hazard>& hazards,
                     const std::map<std::string, std::string>& org_units) {
  const absl::Time now = absl::Now();
  Table t({"ID", "BUILDING", "STREET / TOWN", "CATEGORY", "SEVERITY", "STATUS", "LEAD DEPARTMENTS",
           "DEADLINE", "OVERDUE"});
  t.Elastic(1);
  t.Elastic(2);
  t.Elastic(6);
  for (const hv1::Hazard& h : hazards) {
    const std::string& street = h.routing().street();
    auto name = org_units.find(street);
    t.AddRow({h.hazard_id(), h.building_name().empty() ? h.building_id() : h.building_name(),
              name == org_units.end() || name->second.empty() ? street : name->second,
              EnumLabel(h.category()), EnumLabel(h.severity()), StatusCell(h),
              Departments(h.routing().lead_departments()), FormatTime(h.assignment().deadline()),
              Overdue(h, now) ? "yes" : ""});
  }
  ctx.out() << t.Render();
}

void PrintHazard(Context& ctx, const hv1::Hazard& h) {
  if (ctx.json()) {
    ctx.PrintJson(h);
    return;
  }
  const hv1::Routing& r = h.routing();
  const hv1::Assignment& a = h.assignment();
  std::vector<std::pair<std::string, std::string>> kv = {
      {"id", h.hazard_id()},
      {"building", absl::StrCat(h.building_name(), " (", h.building_id(), ")")},
      {"tier", h.tier_path()},
      {"category", EnumLabel(h.category())},
      {"severity", EnumLabel(h.severity())},
      {"source", EnumLabel(h.source())},
      {"status", StatusCell(h)},
      {"description", h.description()},
      {"reporter", ReporterCell(h.reporter())},
      {"reported", FormatTime(h.reported_at())},
      {"lead departments", Departments(r.lead_departments())},
      {"assisting", Departments(r.assisting_departments())},
      {"street / community", absl::StrCat(r.street(), " / ", r.community())},
      {"plan tasks", absl::StrJoin(r.plan_tasks(), ",")},
  };
  if (!h.evidence().empty()) kv.push_back({"evidence", EvidenceCell(h.evidence())});
  if (!h.confirmations().empty()) {
    kv.push_back({"confirmations", absl::StrJoin(h.confirmations(), ", ")});
  }
  if (!h.rejection_reason().empty()) kv.push_back({"rejected because", h.rejection_reason()});
  if (h.has_liable_party()) kv.push_back({"liable party", PartyCell(h.liable_party())});
  if (!a.responsible_party().empty()) {
    kv.push_back({"responsible",
                  a.responsible_subject().empty()
                      ? a.responsible_party()
                      : absl::StrCat(a.responsible_party(), " (", a.responsible_subject(), ")")});
    kv.push_back({"supervising", a.supervising_department()});
    kv.push_back({"deadline", absl::StrCat(FormatTime(a.deadline()),
                                           Overdue(h, absl::Now()) ? " (overdue)" : "")});
  }
  if (h.escalation() != hv1::ESCALATION_LEVEL_UNSPECIFIED) {
    kv.push_back({"escalated to", EnumLabel(h.escalation())});
  }
  if (!h.rectification_evidence().empty()) {
    kv.push_back({"rectification", EvidenceCell(h.rectification_evidence())});
  }
  if (h.has_closed_at()) {
    kv.push_back({"closed", absl::StrCat(FormatTime(h.closed_at()),
                                         h.closed_on_time() ? " (on time)" : " (late)")});
  }
  if (!h.duplicate_of().empty()) kv.push_back({"duplicate of", h.duplicate_of()});
  if (h.duplicate_reports() > 0) {
    kv.push_back({"duplicate reports", absl::StrCat(h.duplicate_reports())});
  }
  if (h.has_reward()) {
    kv.push_back({"reward", absl::StrCat(FormatNumber(h.reward().amount_yuan()), " yuan")});
  }
  kv.push_back({"version", absl::StrCat(h.version())});
  kv.push_back({"updated", FormatTime(h.updated_at())});
  ctx.out() << RenderKeyValues(kv);
  if (!h.audit().empty()) {
    Table t({"AT", "ACTOR", "ROLE", "ACTION", "FROM", "TO", "NOTE"});
    t.Elastic(6);
    for (const hv1::AuditEntry& e : h.audit()) {
      t.AddRow({FormatTime(e.at()), e.actor(), e.role(), e.action(),
                e.from() == hv1::STATUS_UNSPECIFIED ? "" : EnumLabel(e.from()), EnumLabel(e.to()),
                e.note()});
    }
    ctx.out() << "\n" << t.Render();
  }
}

// ----- report, get, list

absl::Status Report(Context& ctx, const ParsedArgs& args) {
  hv1::ReportHazardRequest req;
  FG_ASSIGN_OR_RETURN(*req.mutable_building_id(), args.Require("building"));
  FG_ASSIGN_OR_RETURN(hv1::HazardCategory category,
                      RequiredEnum<hv1::HazardCategory>(args, "category"));
  req.set_category(category);
  FG_ASSIGN_OR_RETURN(hv1::Severity severity, RequiredEnum<hv1::Severity>(args, "severity"));
  req.set_severity(severity);
  FG_ASSIGN_OR_RETURN(hv1::Source source, RequiredEnum<hv1::Source>(args, "source"));
  req.set_source(source);
  FG_ASSIGN_OR_RETURN(*req.mutable_description(), args.Require("description"));
  FG_RETURN_IF_ERROR(AddEvidence(args, req.mutable_evidence()));
  req.set_idempotency_key(args.GetOr("idempotency-key", ""));
  FG_ASSIGN_OR_RETURN(bool anonymous, args.GetBool("anonymous"));
  if (anonymous && (args.Has("reporter-name") || args.Has("reporter-contact"))) {
    return absl::InvalidArgumentError(
        "--anonymous: an anonymous tip-off has no --reporter-name or --reporter-contact");
  }
  req.mutable_reporter()->set_anonymous(anonymous);
  req.mutable_reporter()->set_name(args.GetOr("reporter-name", ""));
  req.mutable_reporter()->set_contact(args.GetOr("reporter-contact", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(hv1::ReportHazardResponse out, Unary(ctx, *stub, &Stub::ReportHazard, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  if (!out.message().empty()) ctx.out() << out.message() << "\n\n";
  PrintHazard(ctx, out.hazard());
  return absl::OkStatus();
}

absl::Status Get(Context& ctx, const ParsedArgs& args) {
  hv1::GetHazardRequest req;
  req.set_hazard_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(hv1::Hazard h, Unary(ctx, *stub, &Stub::GetHazard, req));
  PrintHazard(ctx, h);
  return absl::OkStatus();
}

absl::Status List(Context& ctx, const ParsedArgs& args) {
  hv1::ListHazardsRequest req;
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  req.set_department(args.GetOr("department", ""));
  FG_ASSIGN_OR_RETURN(std::vector<hv1::Status> statuses, EnumList<hv1::Status>(args, "status"));
  for (hv1::Status s : statuses) req.add_statuses(s);
  FG_ASSIGN_OR_RETURN(std::vector<hv1::HazardCategory> categories,
                      EnumList<hv1::HazardCategory>(args, "category"));
  for (hv1::HazardCategory c : categories) req.add_categories(c);
  if (args.Has("overdue")) {
    FG_ASSIGN_OR_RETURN(bool overdue, args.GetBool("overdue"));
    req.set_overdue(overdue);
  }
  FG_ASSIGN_OR_RETURN(bool duplicates, args.GetBool("include-duplicates"));
  req.set_include_duplicates(duplicates);
  req.set_building_id(args.GetOr("building", ""));
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  FG_ASSIGN_OR_RETURN(int64_t page_size, args.GetInt("page-size", all ? 500 : 50));
  if (page_size < 1 || page_size > 500) {
    return absl::InvalidArgumentError("--page-size: between 1 and 500");
  }
  req.set_page_size(static_cast<int32_t>(page_size));
  req.set_page_token(args.GetOr("page-token", ""));

  auto stub = NewStub(ctx);
  hv1::ListHazardsResponse result;
  while (true) {
    FG_ASSIGN_OR_RETURN(hv1::ListHazardsResponse page, Unary(ctx, *stub, &Stub::ListHazards, req));
    result.mutable_hazards()->MergeFrom(page.hazards());
    result.set_next_page_token(page.next_page_token());
    if (!all || page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (ctx.json()) {
    ctx.PrintJson(result);
    return absl::OkStatus();
  }
  PrintHazardRows(ctx, result.hazards(), OrgUnitNames(ctx, req.tier_path_prefix()));
  if (!result.next_page_token().empty()) {
    ctx.out().flush();
    ctx.err() << "more: --page-token " << result.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

// ----- lifecycle

// The RPC of a lifecycle command: builds its request from the hazard id, the version read
// with --version and the command's own flags, and calls it.
using Transition =
    std::function<absl::StatusOr<hv1::Hazard>(Context&, Stub&, const ParsedArgs&, int64_t)>;

std::function<absl::Status(Context&, const ParsedArgs&)> RunTransition(Transition call) {
  return [call = std::move(call)](Context& ctx, const ParsedArgs& args) -> absl::Status {
    FG_ASSIGN_OR_RETURN(int64_t version, args.RequireInt("version"));
    if (version <= 0) return absl::InvalidArgumentError("--version: the version you read (>= 1)");
    auto stub = NewStub(ctx);
    FG_ASSIGN_OR_RETURN(hv1::Hazard h, call(ctx, *stub, args, version));
    PrintHazard(ctx, h);
    return absl::OkStatus();
  };
}

absl::StatusOr<hv1::Hazard> Verify(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  hv1::VerifyHazardRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  req.set_note(args.GetOr("note", ""));
  FG_ASSIGN_OR_RETURN(std::optional<sv1::Party> liable, LiableFlag(args));
  if (liable.has_value()) *req.mutable_liable_party() = *liable;
  return Unary(ctx, stub, &Stub::VerifyHazard, req);
}

absl::StatusOr<hv1::Hazard> Reject(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  hv1::RejectHazardRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  FG_ASSIGN_OR_RETURN(*req.mutable_reason(), args.Require("reason"));
  return Unary(ctx, stub, &Stub::RejectHazard, req);
}

absl::StatusOr<hv1::Hazard> Assign(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  hv1::AssignHazardRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  FG_ASSIGN_OR_RETURN(*req.mutable_responsible_party(), args.Require("responsible-party"));
  req.set_responsible_subject(args.GetOr("responsible-subject", ""));
  req.set_supervising_department(args.GetOr("supervising-department", ""));
  if (std::optional<std::string> deadline = args.Get("deadline")) {
    FG_ASSIGN_OR_RETURN(*req.mutable_deadline(), ParseDeadline(*deadline));
  }
  req.set_note(args.GetOr("note", ""));
  FG_ASSIGN_OR_RETURN(std::optional<sv1::Party> liable, LiableFlag(args));
  if (liable.has_value()) *req.mutable_liable_party() = *liable;
  return Unary(ctx, stub, &Stub::AssignHazard, req);
}

absl::StatusOr<hv1::Hazard> Start(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  hv1::StartRectificationRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  req.set_note(args.GetOr("note", ""));
  return Unary(ctx, stub, &Stub::StartRectification, req);
}

absl::StatusOr<hv1::Hazard> Submit(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  hv1::SubmitRectificationRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  FG_RETURN_IF_ERROR(AddEvidence(args, req.mutable_evidence()));
  if (req.evidence().empty()) {
    return absl::InvalidArgumentError("--evidence: at least one (http(s) URL or sha256:<hex>)");
  }
  req.set_note(args.GetOr("note", ""));
  return Unary(ctx, stub, &Stub::SubmitRectification, req);
}

absl::StatusOr<hv1::Hazard> Review(Context& ctx, Stub& stub, const ParsedArgs& args, int64_t v) {
  FG_ASSIGN_OR_RETURN(bool passed, args.GetBool("passed"));
  FG_ASSIGN_OR_RETURN(bool failed, args.GetBool("failed"));
  if (passed == failed) return absl::InvalidArgumentError("give exactly one of --passed, --failed");
  if (failed && args.GetOr("note", "").empty()) {
    return absl::InvalidArgumentError("--note: say what is still wrong when the review fails");
  }
  hv1::ReviewRectificationRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  req.set_passed(passed);
  req.set_note(args.GetOr("note", ""));
  return Unary(ctx, stub, &Stub::ReviewRectification, req);
}

absl::StatusOr<hv1::Hazard> Recategorize(Context& ctx, Stub& stub, const ParsedArgs& args,
                                         int64_t v) {
  hv1::ChangeCategoryRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_expected_version(v);
  FG_ASSIGN_OR_RETURN(hv1::HazardCategory category,
                      RequiredEnum<hv1::HazardCategory>(args, "category"));
  req.set_category(category);
  req.set_note(args.GetOr("note", ""));
  return Unary(ctx, stub, &Stub::ChangeCategory, req);
}

absl::Status Merge(Context& ctx, const ParsedArgs& args) {
  hv1::MergeHazardsRequest req;
  req.set_hazard_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(*req.mutable_target_hazard_id(), args.Require("into"));
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(hv1::Hazard h, Unary(ctx, *stub, &Stub::MergeHazards, req));
  PrintHazard(ctx, h);
  return absl::OkStatus();
}

absl::Status Unmerge(Context& ctx, const ParsedArgs& args) {
  hv1::UnmergeHazardRequest req;
  req.set_hazard_id(args.positionals()[0]);
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(hv1::Hazard h, Unary(ctx, *stub, &Stub::UnmergeHazard, req));
  PrintHazard(ctx, h);
  return absl::OkStatus();
}

// ----- guidance, statistics

absl::Status Guidance(Context& ctx, const ParsedArgs& args) {
  auto stub = NewStub(ctx);
  if (args.positionals().empty()) {
    FG_ASSIGN_OR_RETURN(hv1::ListGuidanceResponse out,
                        Unary(ctx, *stub, &Stub::ListGuidance, hv1::ListGuidanceRequest()));
    if (ctx.json()) {
      ctx.PrintJson(out);
      return absl::OkStatus();
    }
    Table t({"CATEGORY", "TITLE", "DAYS", "LEAD", "ASSISTING", "PLAN TASKS"});
    t.Elastic(1);
    t.Elastic(3);
    t.Elastic(4);
    t.AlignRight(2);
    for (const hv1::Guidance& g : out.guidance()) {
      t.AddRow({EnumLabel(g.category()), g.title(), absl::StrCat(g.usual_deadline_days()),
                Departments(g.lead_departments()), Departments(g.assisting_departments()),
                absl::StrJoin(g.plan_tasks(), ",")});
    }
    ctx.out() << t.Render();
    return absl::OkStatus();
  }
  hv1::GetGuidanceRequest req;
  FG_ASSIGN_OR_RETURN(hv1::HazardCategory category,
                      EnumValue<hv1::HazardCategory>("category", args.positionals()[0]));
  req.set_category(category);
  FG_ASSIGN_OR_RETURN(hv1::Guidance g, Unary(ctx, *stub, &Stub::GetGuidance, req));
  if (ctx.json()) {
    ctx.PrintJson(g);
    return absl::OkStatus();
  }
  ctx.out() << RenderKeyValues({
      {"category", EnumLabel(g.category())},
      {"title", g.title()},
      {"usual deadline", absl::StrCat(g.usual_deadline_days(), " days")},
      {"lead", Departments(g.lead_departments())},
      {"assisting", Departments(g.assisting_departments())},
      {"plan tasks", absl::StrJoin(g.plan_tasks(), ",")},
  });
  ctx.out() << "\nsteps:\n";
  for (int i = 0; i < g.steps_size(); ++i) ctx.out() << "  " << i + 1 << ". " << g.steps(i) << "\n";
  if (!g.legal_basis().empty()) {
    ctx.out() << "\nlegal basis:\n";
    for (const std::string& l : g.legal_basis()) ctx.out() << "  - " << l << "\n";
  }
  return absl::OkStatus();
}

// A rate with nothing to divide by (no open and no closed hazards) is unset: "—", not 100 %.
std::string RateCell(const hv1::StatisticsRow& r) {
  if (!r.has_rectification_rate()) return "—";
  return absl::StrCat(FormatNumber(r.rectification_rate(), 1), "%");
}

std::vector<std::string> StatsCells(const hv1::StatisticsRow& r, const std::string& label) {
  return {label,
          absl::StrCat(r.reported()),
          absl::StrCat(r.open()),
          absl::StrCat(r.overdue()),
          absl::StrCat(r.closed()),
          absl::StrCat(r.closed_on_time()),
          absl::StrCat(r.rejected()),
          RateCell(r)};
}

absl::Status Stats(Context& ctx, const ParsedArgs& args) {
  hv1::GetStatisticsRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(hv1::Statistics out, Unary(ctx, *stub, &Stub::GetStatistics, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  ctx.out() << "hazard statistics " << out.tier_path() << " (generated "
            << FormatTime(out.generated_at()) << ")\n";
  // "AWAITING VERIFICATION": reported, not yet verified or rejected.
  auto table = [&](const std::string& first,
                   const google::protobuf::RepeatedPtrField<hv1::StatisticsRow>& rows,
                   const std::function<std::string(const hv1::StatisticsRow&)>& label,
                   bool with_total) {
    Table t({first, "AWAITING VERIFICATION", "OPEN", "OVERDUE", "CLOSED", "ON TIME", "REJECTED",
             "RECTIFIED"});
    for (size_t c = 1; c <= 7; ++c) t.AlignRight(c);
    for (const hv1::StatisticsRow& r : rows) t.AddRow(StatsCells(r, label(r)));
    if (with_total) t.AddRow(StatsCells(out.totals(), "total"));
    return t.Render();
  };
  const std::map<std::string, std::string> org_units = OrgUnitNames(ctx, out.tier_path());
  ctx.out() << table(
      "TIER", out.by_tier(), [&](const hv1::StatisticsRow& r) { return Named(org_units, r.key()); },
      true);
  if (!out.by_department().empty()) {
    ctx.out() << "\n"
              << table(
                     "DEPARTMENT", out.by_department(),
                     [](const hv1::StatisticsRow& r) {
                       const std::string name = DepartmentName(r.key());
                       return name == r.key() ? name : absl::StrCat(name, " (", r.key(), ")");
                     },
                     false);
  }
  return absl::OkStatus();
}

// Every hazards command goes to the hazards service.
Command Hazards(Command c) {
  c.endpoint = FixedEndpoint(kHazardsEndpoint);
  return c;
}

const char kLiable[] =
    "ROLE:NAME:CODE  the party liable instead of the building's default (lead department or "
    "district admin); ROLE management_unit|property_company|owner|occupant|maintenance_agency|"
    "builder, CODE a credit code or identity number";

const char kCategories[] =
    "C  fire_facility_fault|indoor_hydrant_no_water|evacuation_blocked|gas_electrical|...";

}  // namespace

void RegisterHazardsCommands(Registry* registry) {
  registry->Add(Hazards(Command{
      .path = {"hazards", "report"},
      .synopsis = "--building ID --category C --severity general|major --source S "
                  "--description D [--evidence URL]... [--idempotency-key K] "
                  "[--reporter-name N --reporter-contact C | --anonymous]",
      .summary = "report a hidden hazard; it is routed to the responsible departments",
      .flags = {ValueFlag("building", "ID  the building"), ValueFlag("category", kCategories),
                ValueFlag("severity", "general|major  (major: 3 reviewers confirm)"),
                ValueFlag("source",
                          "S  grid_inspection|fire_inspection|department_inspection|iot|"
                          "public_tip_off|campaign"),
                ValueFlag("description", "D  what is wrong, where"),
                RepeatedFlag("evidence", "URL  http(s) URL or sha256:<64 hex> (repeatable)"),
                ValueFlag("idempotency-key", "K  a retry with the same key is the same report"),
                ValueFlag("reporter-name", "N  who reported it (public tip-offs)"),
                ValueFlag("reporter-contact", "C  their phone (visible to district admins)"),
                BoolFlag("anonymous", "anonymous public tip-off")},
      .run = Report}));
  registry->Add(Hazards(Command{.path = {"hazards", "get"},
                                .synopsis = "ID",
                                .summary = "one hazard with its routing, assignment and audit",
                                .min_positionals = 1,
                                .max_positionals = 1,
                                .run = Get}));
  registry->Add(Hazards(Command{
      .path = {"hazards", "list"},
      .synopsis = "[--tier P] [--department D] [--status S]... [--category C]... [--overdue] "
                  "[--building ID] [--all]",
      .summary = "hazards under a tier path (default: the caller's), with filters",
      .flags = {ValueFlag("tier", "P  division-code prefix"),
                ValueFlag("department", "D  routed to this department slug, e.g. fire_rescue"),
                RepeatedFlag("status",
                             "S  reported|verified|rejected|assigned|rectifying|submitted|closed "
                             "(comma list)"),
                RepeatedFlag("category", "C  (comma list)"),
                BoolFlag("overdue", "only overdue ones (--overdue=false: only those not overdue)"),
                ValueFlag("building", "ID  one building's hazards"),
                BoolFlag("include-duplicates", "list reports linked as duplicates too"),
                ValueFlag("page-size", "N  1..500 (default 50)"),
                ValueFlag("page-token", "T  continue a listing"),
                BoolFlag("all", "follow every page")},
      .run = List}));
  registry->Add(Hazards(
      Command{.path = {"hazards", "verify"},
              .synopsis = "ID --version V [--liable ROLE:NAME:CODE] [--note N]",
              .summary = "confirm a reported hazard (a major one needs 3 distinct reviewers)",
              .flags = {ValueFlag("version", "V  the version you read"),
                        ValueFlag("liable", kLiable), ValueFlag("note", "N")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = RunTransition(Verify)}));
  registry->Add(Hazards(Command{.path = {"hazards", "reject"},
                                .synopsis = "ID --version V --reason R",
                                .summary = "reject a reported hazard",
                                .flags = {ValueFlag("version", "V  the version you read"),
                                          ValueFlag("reason", "R  why (required)")},
                                .min_positionals = 1,
                                .max_positionals = 1,
                                .run = RunTransition(Reject)}));
  registry->Add(Hazards(Command{
      .path = {"hazards", "assign"},
      .synopsis = "ID --version V --responsible-party P [--responsible-subject S] "
                  "[--supervising-department D] [--deadline YYYY-MM-DD[THH:MM]] "
                  "[--liable ROLE:NAME:CODE] [--note N]",
      .summary = "assign a verified hazard for rectification, with a deadline",
      .flags = {ValueFlag("version", "V  the version you read"),
                ValueFlag("responsible-party", "P  who must rectify (management unit, ...)"),
                ValueFlag("responsible-subject", "S  its firegrid subject, if it has one"),
                ValueFlag("supervising-department", "D  default: the first lead department"),
                ValueFlag("deadline",
                          "YYYY-MM-DD[THH:MM]  China time; a date means its end (default: the "
                          "configured period)"),
                ValueFlag("liable", kLiable), ValueFlag("note", "N")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = RunTransition(Assign)}));
  registry->Add(Hazards(
      Command{.path = {"hazards", "start"},
              .synopsis = "ID --version V [--note N]",
              .summary = "start the rectification of an assigned hazard",
              .flags = {ValueFlag("version", "V  the version you read"), ValueFlag("note", "N")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = RunTransition(Start)}));
  registry->Add(Hazards(Command{
      .path = {"hazards", "submit"},
      .synopsis = "ID --version V --evidence URL [--evidence URL]... [--note N]",
      .summary = "submit the rectification for review, with evidence",
      .flags = {ValueFlag("version", "V  the version you read"),
                RepeatedFlag("evidence", "URL  http(s) URL or sha256:<64 hex> (repeatable)"),
                ValueFlag("note", "N")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = RunTransition(Submit)}));
  registry->Add(Hazards(
      Command{.path = {"hazards", "review"},
              .synopsis = "ID --version V --passed|--failed [--note N]",
              .summary = "review a submitted rectification: passed closes it, failed sends it back",
              .flags = {ValueFlag("version", "V  the version you read"),
                        BoolFlag("passed", "the hazard is gone: close it"),
                        BoolFlag("failed", "not yet: back to rectifying (--note required)"),
                        ValueFlag("note", "N")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = RunTransition(Review)}));
  registry->Add(
      Hazards(Command{.path = {"hazards", "recategorize"},
                      .synopsis = "ID --version V --category C [--note N]",
                      .summary = "change an open hazard's category; it is routed again",
                      .flags = {ValueFlag("version", "V  the version you read"),
                                ValueFlag("category", kCategories), ValueFlag("note", "N")},
                      .min_positionals = 1,
                      .max_positionals = 1,
                      .run = RunTransition(Recategorize)}));
  registry->Add(Hazards(Command{
      .path = {"hazards", "merge"},
      .synopsis = "ID --into TARGET [--note N]",
      .summary = "link an open hazard to another open one of the same building as its duplicate",
      .flags = {ValueFlag("into", "TARGET  the hazard that stays"), ValueFlag("note", "N")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = Merge}));
  registry->Add(Hazards(Command{.path = {"hazards", "unmerge"},
                                .synopsis = "ID [--note N]",
                                .summary = "undo a merge: the hazard stands on its own again",
                                .flags = {ValueFlag("note", "N")},
                                .min_positionals = 1,
                                .max_positionals = 1,
                                .run = Unmerge}));
  registry->Add(Hazards(Command{
      .path = {"hazards", "guidance"},
      .synopsis = "[CATEGORY]",
      .summary = "process guidance 流程引导: every category, or one category's steps and basis",
      .max_positionals = 1,
      .run = Guidance}));
  registry->Add(Hazards(
      Command{.path = {"hazards", "stats"},
              .synopsis = "[--tier P]",
              .summary = "open, overdue, closed and rectification rate per tier and department",
              .flags = {ValueFlag("tier", "P  district or street code (default: the caller's)")},
              .run = Stats}));
}

}  // namespace firegrid::ctl
