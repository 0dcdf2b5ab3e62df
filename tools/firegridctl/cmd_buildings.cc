// Commands of the buildings service: org units, buildings, responsibility filing, facilities,
// fire access, hydrants, micro stations, nearby search, the ledger and CSV import.
#include <algorithm>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/proto_json.h"
#include "libs/common/status.h"
#include "services/buildings/party_text.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using Stub = bv1::BuildingService::Stub;

std::unique_ptr<Stub> NewStub(Context& ctx) { return bv1::BuildingService::NewStub(ctx.channel()); }

// An enum flag: a usage error (exit 2) names the flag.
template <typename E>
absl::StatusOr<E> EnumFlag(const ParsedArgs& args, const std::string& flag) {
  FG_ASSIGN_OR_RETURN(std::string text, args.Require(flag));
  absl::StatusOr<E> v = ParseEnum<E>(text);
  if (!v.ok()) return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
  return *v;
}

// Comma-separated or repeated enum flags ("--class class_i,super_high_rise").
template <typename E>
absl::StatusOr<std::vector<E>> EnumListFlag(const ParsedArgs& args, const std::string& flag) {
  std::vector<E> out;
  for (const std::string& value : args.GetAll(flag)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      absl::StatusOr<E> v = ParseEnum<E>(part);
      if (!v.ok()) {
        return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
      }
      out.push_back(*v);
    }
  }
  return out;
}

// "NAME:PHONE[:SUBJECT]".
absl::StatusOr<bv1::Person> ParsePerson(const std::string& flag, const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want NAME:PHONE[:SUBJECT], got \"", text, "\""));
  }
  bv1::Person p;
  p.set_name(parts[0]);
  p.set_phone(parts[1]);
  if (parts.size() == 3) p.set_subject(parts[2]);
  return p;
}

// The repeated --party flags (docs/csv-import.md's syntax: ROLE:NAME:CODE or
// ROLE:NAME:id:NUMBER, optionally :ACCOUNT); a malformed one is a usage error naming the flag.
absl::StatusOr<std::vector<subjects::v1::Party>> PartyFlags(const ParsedArgs& args) {
  std::vector<subjects::v1::Party> out;
  for (const std::string& text : args.GetAll("party")) {
    absl::StatusOr<subjects::v1::Party> p = buildings::ParsePartyText(text);
    if (!p.ok()) return UsageError(absl::StrCat("--party: ", p.status().message()));
    out.push_back(*std::move(p));
  }
  return out;
}

std::string PersonCell(const bv1::Person& p) {
  if (p.name().empty()) return "";
  std::string s = p.name();
  if (!p.phone().empty()) absl::StrAppend(&s, " ", p.phone());
  return s;
}

std::string AccessCell(const bv1::Building& b) {
  if (b.fire_lanes().empty() && b.rescue_sites().empty()) return "-";
  if (b.fire_access_compliant()) return "ok";
  const int n = b.fire_access_violations();
  return absl::StrCat(n, n == 1 ? " violation" : " violations");
}

std::string MarkingCell(const bv1::Marking& m) {
  std::vector<std::string> parts;
  if (m.lines_painted()) parts.push_back("lines");
  if (m.name_marked()) parts.push_back("name");
  if (m.sign_installed()) parts.push_back("sign");
  return parts.empty() ? "none" : absl::StrJoin(parts, "+");
}

std::string Location(const bv1::GeoPoint& p) {
  return absl::StrCat(FormatNumber(p.latitude(), 6), ",", FormatNumber(p.longitude(), 6));
}

void PrintBuildingRows(Context& ctx, const std::vector<const bv1::Building*>& buildings) {
  Table t({"ID", "NAME", "TIER", "USE", "HEIGHT", "FLOORS", "CLASS", "FILING", "FIRE ACCESS",
           "VERSION"});
  t.Elastic(1);
  t.AlignRight(4);
  t.AlignRight(5);
  t.AlignRight(9);
  for (const bv1::Building* b : buildings) {
    t.AddRow({b->building_id(), b->name(), b->tier_path(), EnumLabel(b->use()),
              FormatNumber(b->height_m(), 1), absl::StrCat(b->floors_above_ground()),
              EnumLabel(b->building_class()), EnumLabel(b->responsibility().filing_state()),
              AccessCell(*b), absl::StrCat(b->version())});
  }
  ctx.out() << t.Render();
}

void PrintBuilding(Context& ctx, const bv1::Building& b) {
  if (ctx.json()) {
    ctx.PrintJson(b);
    return;
  }
  std::vector<std::string> flags;
  if (b.three_nos()) flags.push_back("three_nos");
  if (b.old_residential()) flags.push_back("old_residential");
  if (b.large_mixed_use()) flags.push_back("large_mixed_use");
  const bv1::Responsibility& r = b.responsibility();
  std::vector<std::pair<std::string, std::string>> kv = {
      {"id", b.building_id()},
      {"name", b.name()},
      {"address", b.address()},
      {"tier", b.tier_path()},
      {"location", Location(b.location())},
      {"use", EnumLabel(b.use())},
      {"height", absl::StrCat(FormatNumber(b.height_m(), 1), " m")},
      {"floors",
       absl::StrCat(b.floors_above_ground(), " above, ", b.floors_below_ground(), " below")},
      {"class", EnumLabel(b.building_class())},
      {"year built", b.year_built() > 0 ? absl::StrCat(b.year_built()) : ""},
      {"flags", absl::StrJoin(flags, ", ")},
      {"filing", absl::StrCat(EnumLabel(r.filing_state()),
                              r.working_days_late() > 0
                                  ? absl::StrCat(", ", r.working_days_late(), " working day",
                                                 r.working_days_late() == 1 ? "" : "s", " late")
                                  : "",
                              r.has_filing_due() && r.filing_state() != bv1::FILING_STATE_FILED
                                  ? absl::StrCat(" (due ", FormatDate(r.filing_due()), ")")
                                  : "")},
      {"management unit", r.chain().management_unit()},
      {"responsible", PersonCell(r.chain().responsible_person())},
      {"manager", PersonCell(r.chain().manager())},
      {"building head", PersonCell(r.chain().building_head())},
      {"property company", r.chain().property_company()},
      {"filed", r.has_filing() ? absl::StrCat(r.filing().document_number(), " ",
                                              FormatDate(r.filing().filed_at()), " with ",
                                              r.filing().filed_with())
                               : ""},
      {"fire access", AccessCell(b)},
      {"version", absl::StrCat(b.version())},
      {"updated", FormatTime(b.updated_at())},
  };
  ctx.out() << RenderKeyValues(kv);
  if (!b.parties().empty()) {
    // Identity numbers as the server sent them: masked unless the caller may see them.
    Table t({"PARTY", "NAME", "CREDIT CODE / ID", "ACCOUNT"});
    t.Elastic(1);
    for (const subjects::v1::Party& p : b.parties()) {
      t.AddRow({buildings::PartyRoleLabel(p.role()), p.name(),
                p.person_id().empty() ? p.credit_code() : absl::StrCat("id ", p.person_id()),
                p.account_subject()});
    }
    ctx.out() << "\n" << t.Render();
  }
  if (!b.facilities().empty()) {
    Table t({"FACILITY", "STATUS", "NOTE", "UPDATED", "BY"});
    t.Elastic(2);
    for (const bv1::Facility& f : b.facilities()) {
      t.AddRow({EnumLabel(f.kind()), EnumLabel(f.status()), f.note(), FormatTime(f.updated_at()),
                f.updated_by()});
    }
    ctx.out() << "\n" << t.Render();
  }
  if (!b.fire_lanes().empty()) {
    Table t(
        {"LANE", "NAME", "WIDTH", "HEIGHT", "SLOPE%", "RADIUS", "LOAD T", "MARKING", "OCCUPIED"});
    for (const bv1::FireLane& l : b.fire_lanes()) {
      t.AddRow({l.lane_id(), l.name(), FormatNumber(l.clear_width_m()),
                FormatNumber(l.clear_height_m()), FormatNumber(l.slope_percent()),
                FormatNumber(l.turning_radius_m()), FormatNumber(l.load_capacity_t()),
                MarkingCell(l.marking()), YesNo(l.occupied())});
    }
    ctx.out() << "\n" << t.Render();
  }
  if (!b.rescue_sites().empty()) {
    Table t({"SITE", "NAME", "LENGTH", "WIDTH", "SLOPE%", "LOAD T", "MARKING", "OCCUPIED"});
    t.Elastic(1);
    for (const bv1::RescueSite& s : b.rescue_sites()) {
      t.AddRow({s.site_id(), s.name(), FormatNumber(s.length_m()), FormatNumber(s.width_m()),
                FormatNumber(s.slope_percent()), FormatNumber(s.load_capacity_t()),
                MarkingCell(s.marking()), YesNo(s.occupied())});
    }
    ctx.out() << "\n" << t.Render();
  }
}

void PrintOrgUnits(Context& ctx, const google::protobuf::RepeatedPtrField<bv1::OrgUnit>& units) {
  Table t({"CODE", "NAME", "KIND", "PARENT", "TIER", "PHONE"});
  t.Elastic(1);
  for (const bv1::OrgUnit& u : units) {
    t.AddRow({u.code(), u.name(), EnumLabel(u.kind()), u.parent_code(), u.tier_path(),
              u.contact_phone()});
  }
  ctx.out() << t.Render();
}

void PrintAssessment(Context& ctx, const bv1::FireAccessAssessment& a) {
  ctx.out() << a.building_id() << ": " << (a.compliant() ? "compliant" : "NOT compliant") << ", "
            << a.violations_size() << " violation(s), assessed " << FormatTime(a.assessed_at())
            << "\n";
  if (a.violations().empty()) return;
  Table t({"KIND", "SUBJECT", "RULE", "ACTUAL", "REQUIRED", "MESSAGE"});
  t.Elastic(1);
  t.Elastic(5);
  for (const bv1::Violation& v : a.violations()) {
    t.AddRow({EnumLabel(v.kind()), v.subject(), v.rule(), FormatNumber(v.actual()),
              FormatNumber(v.required()), v.message()});
  }
  ctx.out() << t.Render();
}

// ----- orgunits

absl::Status OrgUnitsList(Context& ctx, const ParsedArgs& args) {
  bv1::ListOrgUnitsRequest req;
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  if (args.Has("kind")) {
    FG_ASSIGN_OR_RETURN(bv1::OrgUnitKind kind, EnumFlag<bv1::OrgUnitKind>(args, "kind"));
    req.set_kind(kind);
  }
  req.set_page_size(1000);
  auto stub = NewStub(ctx);
  bv1::ListOrgUnitsResponse all;
  do {
    FG_ASSIGN_OR_RETURN(bv1::ListOrgUnitsResponse page,
                        Unary(ctx, *stub, &Stub::ListOrgUnits, req));
    all.mutable_org_units()->MergeFrom(page.org_units());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  if (ctx.json()) {
    ctx.PrintJson(all);
  } else {
    PrintOrgUnits(ctx, all.org_units());
  }
  return absl::OkStatus();
}

absl::Status OrgUnitsUpsert(Context& ctx, const ParsedArgs& args) {
  bv1::UpsertOrgUnitRequest req;
  bv1::OrgUnit* u = req.mutable_org_unit();
  FG_ASSIGN_OR_RETURN(*u->mutable_code(), args.Require("code"));
  FG_ASSIGN_OR_RETURN(*u->mutable_name(), args.Require("name"));
  FG_ASSIGN_OR_RETURN(bv1::OrgUnitKind kind, EnumFlag<bv1::OrgUnitKind>(args, "kind"));
  u->set_kind(kind);
  u->set_parent_code(args.GetOr("parent", ""));
  u->set_contact_phone(args.GetOr("phone", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::OrgUnit out, Unary(ctx, *stub, &Stub::UpsertOrgUnit, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else {
    google::protobuf::RepeatedPtrField<bv1::OrgUnit> one;
    *one.Add() = out;
    PrintOrgUnits(ctx, one);
  }
  return absl::OkStatus();
}

// ----- buildings

absl::Status BuildingsList(Context& ctx, const ParsedArgs& args) {
  bv1::ListBuildingsRequest req;
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  FG_ASSIGN_OR_RETURN(std::vector<bv1::BuildingClass> classes,
                      EnumListFlag<bv1::BuildingClass>(args, "class"));
  for (auto c : classes) req.add_classes(c);
  FG_ASSIGN_OR_RETURN(std::vector<bv1::BuildingUse> uses,
                      EnumListFlag<bv1::BuildingUse>(args, "use"));
  for (auto u : uses) req.add_uses(u);
  FG_ASSIGN_OR_RETURN(std::vector<bv1::FilingState> filing,
                      EnumListFlag<bv1::FilingState>(args, "filing"));
  for (auto f : filing) req.add_filing_states(f);
  if (args.Has("three-nos")) {
    FG_ASSIGN_OR_RETURN(bool v, args.GetBool("three-nos"));
    req.set_three_nos(v);
  }
  if (args.Has("old-residential")) {
    FG_ASSIGN_OR_RETURN(bool v, args.GetBool("old-residential"));
    req.set_old_residential(v);
  }
  if (args.Has("compliant")) {
    FG_ASSIGN_OR_RETURN(bool v, args.GetBool("compliant"));
    req.set_fire_access_compliant(v);
  }
  // The filters of the ledger's figures of the same name.
  for (auto [flag, set] :
       std::initializer_list<std::pair<const char*, void (bv1::ListBuildingsRequest::*)(bool)>>{
           {"with-lanes", &bv1::ListBuildingsRequest::set_with_lanes},
           {"lanes-marked", &bv1::ListBuildingsRequest::set_lanes_marked},
           {"with-indoor-hydrants", &bv1::ListBuildingsRequest::set_with_indoor_hydrants},
           {"hydrants-with-water", &bv1::ListBuildingsRequest::set_indoor_hydrants_with_water}}) {
    if (!args.Has(flag)) continue;
    FG_ASSIGN_OR_RETURN(bool v, args.GetBool(flag));
    (req.*set)(v);
  }
  FG_ASSIGN_OR_RETURN(bool incomplete, args.GetBool("incomplete"));
  req.set_incomplete_only(incomplete);
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  FG_ASSIGN_OR_RETURN(int64_t page_size, args.GetInt("page-size", all ? 500 : 50));
  if (page_size < 1 || page_size > 500) {
    return absl::InvalidArgumentError("--page-size: between 1 and 500");
  }
  req.set_page_size(static_cast<int32_t>(page_size));
  req.set_page_token(args.GetOr("page-token", ""));

  auto stub = NewStub(ctx);
  bv1::ListBuildingsResponse result;
  while (true) {
    FG_ASSIGN_OR_RETURN(bv1::ListBuildingsResponse page,
                        Unary(ctx, *stub, &Stub::ListBuildings, req));
    result.mutable_buildings()->MergeFrom(page.buildings());
    result.set_next_page_token(page.next_page_token());
    if (!all || page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (ctx.json()) {
    ctx.PrintJson(result);
    return absl::OkStatus();
  }
  std::vector<const bv1::Building*> rows;
  for (const bv1::Building& b : result.buildings()) rows.push_back(&b);
  PrintBuildingRows(ctx, rows);
  if (!result.next_page_token().empty()) {
    ctx.out().flush();
    ctx.err() << "more: --page-token " << result.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status BuildingsGet(Context& ctx, const ParsedArgs& args) {
  bv1::GetBuildingRequest req;
  req.set_building_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Building b, Unary(ctx, *stub, &Stub::GetBuilding, req));
  PrintBuilding(ctx, b);
  return absl::OkStatus();
}

absl::Status BuildingsCreate(Context& ctx, const ParsedArgs& args) {
  bv1::CreateBuildingRequest req;
  bv1::Building* b = req.mutable_building();
  FG_ASSIGN_OR_RETURN(*b->mutable_name(), args.Require("name"));
  FG_ASSIGN_OR_RETURN(*b->mutable_address(), args.Require("address"));
  FG_ASSIGN_OR_RETURN(*b->mutable_tier_path(), args.Require("tier"));
  FG_ASSIGN_OR_RETURN(bv1::BuildingUse use, EnumFlag<bv1::BuildingUse>(args, "use"));
  b->set_use(use);
  FG_ASSIGN_OR_RETURN(double height, args.RequireDouble("height"));
  b->set_height_m(height);
  FG_ASSIGN_OR_RETURN(int64_t floors, args.RequireInt("floors"));
  b->set_floors_above_ground(static_cast<int32_t>(floors));
  FG_ASSIGN_OR_RETURN(int64_t below, args.GetInt("floors-below", 0));
  b->set_floors_below_ground(static_cast<int32_t>(below));
  FG_ASSIGN_OR_RETURN(double lat, args.RequireDouble("lat"));
  FG_ASSIGN_OR_RETURN(double lon, args.RequireDouble("lon"));
  b->mutable_location()->set_latitude(lat);
  b->mutable_location()->set_longitude(lon);
  FG_ASSIGN_OR_RETURN(int64_t year, args.GetInt("year", 0));
  b->set_year_built(static_cast<int32_t>(year));
  FG_ASSIGN_OR_RETURN(bool three_nos, args.GetBool("three-nos"));
  b->set_three_nos(three_nos);
  FG_ASSIGN_OR_RETURN(bool old_residential, args.GetBool("old-residential"));
  b->set_old_residential(old_residential);
  FG_ASSIGN_OR_RETURN(bool large_mixed, args.GetBool("large-mixed-use"));
  b->set_large_mixed_use(large_mixed);
  FG_ASSIGN_OR_RETURN(std::vector<subjects::v1::Party> parties, PartyFlags(args));
  for (auto& p : parties) *b->add_parties() = std::move(p);
  req.set_request_id(args.GetOr("request-id", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Building out, Unary(ctx, *stub, &Stub::CreateBuilding, req));
  PrintBuilding(ctx, out);
  return absl::OkStatus();
}

absl::Status BuildingsUpdate(Context& ctx, const ParsedArgs& args) {
  const std::string id = args.positionals()[0];
  FG_ASSIGN_OR_RETURN(int64_t version, args.RequireInt("version"));
  std::vector<std::string> sets = args.GetAll("set");
  FG_ASSIGN_OR_RETURN(std::vector<subjects::v1::Party> parties, PartyFlags(args));
  FG_ASSIGN_OR_RETURN(bool clear_parties, args.GetBool("clear-parties"));
  if (clear_parties && !parties.empty()) {
    return UsageError("--clear-parties and --party exclude each other");
  }
  const bool set_parties = clear_parties || !parties.empty();
  if (sets.empty() && !set_parties) {
    return absl::InvalidArgumentError("missing --set field=value, --party or --clear-parties");
  }
  auto stub = NewStub(ctx);

  std::vector<std::pair<std::string, std::string>> assignments;
  bool nested = false;
  for (const std::string& s : sets) {
    FG_ASSIGN_OR_RETURN(auto kv, SplitAssignment(s));
    nested = nested || kv.first.find('.') != std::string::npos;
    assignments.push_back(std::move(kv));
  }
  // A nested path ("location.latitude") changes part of a message field; the mask replaces the
  // whole top-level field, so start from the building as it is.
  bv1::Building edited;
  if (nested) {
    bv1::GetBuildingRequest get;
    get.set_building_id(id);
    FG_ASSIGN_OR_RETURN(edited, Unary(ctx, *stub, &Stub::GetBuilding, get));
  }
  std::set<std::string> top_level;
  for (const auto& [path, value] : assignments) {
    FG_RETURN_IF_ERROR(SetFieldByPath(&edited, path, value));
    top_level.insert(path.substr(0, path.find('.')));
  }
  bv1::UpdateBuildingRequest req;
  req.set_expected_version(version);
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  for (const std::string& field : top_level) {
    if (field == "building_id") return absl::InvalidArgumentError("--set: building_id is the ID");
    fields.push_back(edited.GetDescriptor()->FindFieldByName(field));
    req.mutable_update_mask()->add_paths(field);
  }
  // Exactly the masked fields travel: move them from the edited copy into the request.
  edited.GetReflection()->SwapFields(&edited, req.mutable_building(), fields);
  req.mutable_building()->set_building_id(id);
  if (set_parties) {
    if (top_level.count("parties") > 0) {
      return UsageError("--set parties=... : use --party (repeated) or --clear-parties");
    }
    // The list replaces the building's parties (empty with --clear-parties).
    for (auto& p : parties) *req.mutable_building()->add_parties() = std::move(p);
    req.mutable_update_mask()->add_paths("parties");
  }
  FG_ASSIGN_OR_RETURN(bv1::Building out, Unary(ctx, *stub, &Stub::UpdateBuilding, req));
  PrintBuilding(ctx, out);
  return absl::OkStatus();
}

absl::Status BuildingsFile(Context& ctx, const ParsedArgs& args) {
  bv1::FileResponsibilityRequest req;
  req.set_building_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(int64_t version, args.RequireInt("version"));
  req.set_expected_version(version);
  bv1::ResponsibilityChain* chain = req.mutable_chain();
  chain->set_management_unit(args.GetOr("management-unit", ""));
  chain->set_property_company(args.GetOr("property-company", ""));
  struct PersonFlag {
    const char* flag;
    bv1::Person* target;
  };
  for (const PersonFlag& pf : {PersonFlag{"responsible", chain->mutable_responsible_person()},
                               PersonFlag{"manager", chain->mutable_manager()},
                               PersonFlag{"head", chain->mutable_building_head()}}) {
    if (std::optional<std::string> text = args.Get(pf.flag)) {
      FG_ASSIGN_OR_RETURN(*pf.target, ParsePerson(pf.flag, *text));
    }
  }
  if (args.Has("filed-at") && !args.Has("document-number")) {
    return absl::InvalidArgumentError("--filed-at needs --document-number");
  }
  if (std::optional<std::string> doc = args.Get("document-number")) {
    bv1::Filing* filing = req.mutable_filing();
    filing->set_document_number(*doc);
    if (std::optional<std::string> date = args.Get("filed-at")) {
      absl::StatusOr<google::protobuf::Timestamp> ts = ParseDate(*date);
      if (!ts.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--filed-at: ", ts.status().message()));
      }
      *filing->mutable_filed_at() = *ts;
    } else {
      filing->mutable_filed_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    }
  }
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Building out, Unary(ctx, *stub, &Stub::FileResponsibility, req));
  PrintBuilding(ctx, out);
  return absl::OkStatus();
}

absl::Status BuildingsHistory(Context& ctx, const ParsedArgs& args) {
  bv1::GetResponsibilityHistoryRequest req;
  req.set_building_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::GetResponsibilityHistoryResponse out,
                      Unary(ctx, *stub, &Stub::GetResponsibilityHistory, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"RECORDED", "BY", "VERSION", "CHANGED", "MANAGEMENT UNIT", "RESPONSIBLE", "MANAGER",
           "HEAD", "PROPERTY COMPANY", "DOCUMENT", "FILED"});
  t.Elastic(4);
  t.Elastic(5);
  t.Elastic(6);
  t.Elastic(7);
  t.Elastic(8);
  t.Elastic(9);
  for (const bv1::ResponsibilityRecord& r : out.records()) {
    t.AddRow({FormatTime(r.recorded_at()), r.recorded_by(), absl::StrCat(r.building_version()),
              YesNo(r.chain_changed()), r.chain().management_unit(),
              PersonCell(r.chain().responsible_person()), PersonCell(r.chain().manager()),
              PersonCell(r.chain().building_head()), r.chain().property_company(),
              r.filing().document_number(), FormatDate(r.filing().filed_at())});
  }
  ctx.out() << t.Render();
  return absl::OkStatus();
}

// ----- facilities, fire access

absl::Status FacilitySet(Context& ctx, const ParsedArgs& args) {
  bv1::SetFacilityStatusRequest req;
  req.set_building_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(bv1::FacilityKind kind, EnumFlag<bv1::FacilityKind>(args, "kind"));
  req.set_kind(kind);
  FG_ASSIGN_OR_RETURN(bv1::FacilityStatus status, EnumFlag<bv1::FacilityStatus>(args, "status"));
  req.set_status(status);
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Building out, Unary(ctx, *stub, &Stub::SetFacilityStatus, req));
  PrintBuilding(ctx, out);
  return absl::OkStatus();
}

absl::Status FireAccessSet(Context& ctx, const ParsedArgs& args) {
  FG_ASSIGN_OR_RETURN(int64_t version, args.RequireInt("version"));
  FG_ASSIGN_OR_RETURN(std::string path, args.Require("file"));
  FG_ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  bv1::SetFireAccessRequest req;
  absl::Status s = JsonToMessage(json, &req);  // enums as --output json writes them
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": not a SetFireAccessRequest in JSON ({\"fire_lanes\": [...], "
                     "\"rescue_sites\": [...]}): ",
                     s.message()));
  }
  req.set_building_id(args.positionals()[0]);
  req.set_expected_version(version);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::SetFireAccessResponse out, Unary(ctx, *stub, &Stub::SetFireAccess, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else {
    PrintAssessment(ctx, out.assessment());
    ctx.out() << "version " << out.building().version() << "\n";
  }
  return absl::OkStatus();
}

absl::Status FireAccessAssess(Context& ctx, const ParsedArgs& args) {
  bv1::AssessFireAccessRequest req;
  req.set_building_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::FireAccessAssessment out,
                      Unary(ctx, *stub, &Stub::AssessFireAccess, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else {
    PrintAssessment(ctx, out);
  }
  return absl::OkStatus();
}

// ----- hydrants, micro stations, nearby

absl::Status HydrantsAdd(Context& ctx, const ParsedArgs& args) {
  bv1::RegisterHydrantRequest req;
  bv1::Hydrant* h = req.mutable_hydrant();
  h->set_hydrant_id(args.GetOr("id", ""));
  FG_ASSIGN_OR_RETURN(*h->mutable_tier_path(), args.Require("tier"));
  FG_ASSIGN_OR_RETURN(double lat, args.RequireDouble("lat"));
  FG_ASSIGN_OR_RETURN(double lon, args.RequireDouble("lon"));
  h->mutable_location()->set_latitude(lat);
  h->mutable_location()->set_longitude(lon);
  FG_ASSIGN_OR_RETURN(bv1::HydrantStatus status, EnumFlag<bv1::HydrantStatus>(args, "status"));
  h->set_status(status);
  h->set_maintainer(args.GetOr("maintainer", ""));
  h->set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Hydrant out, Unary(ctx, *stub, &Stub::RegisterHydrant, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"ID", "TIER", "LOCATION", "STATUS", "MAINTAINER", "NOTE"});
  t.Elastic(4);
  t.Elastic(5);
  t.AddRow({out.hydrant_id(), out.tier_path(), Location(out.location()), EnumLabel(out.status()),
            out.maintainer(), out.note()});
  ctx.out() << t.Render();
  return absl::OkStatus();
}

absl::Status StationsAdd(Context& ctx, const ParsedArgs& args) {
  bv1::RegisterMicroStationRequest req;
  bv1::MicroStation* m = req.mutable_station();
  m->set_station_id(args.GetOr("id", ""));
  FG_ASSIGN_OR_RETURN(*m->mutable_name(), args.Require("name"));
  FG_ASSIGN_OR_RETURN(*m->mutable_tier_path(), args.Require("tier"));
  FG_ASSIGN_OR_RETURN(double lat, args.RequireDouble("lat"));
  FG_ASSIGN_OR_RETURN(double lon, args.RequireDouble("lon"));
  m->mutable_location()->set_latitude(lat);
  m->mutable_location()->set_longitude(lon);
  FG_ASSIGN_OR_RETURN(int64_t staff, args.GetInt("staff", 0));
  m->set_staff(static_cast<int32_t>(staff));
  FG_ASSIGN_OR_RETURN(bool duty, args.GetBool("24h"));
  m->set_on_duty_24h(duty);
  m->set_phone(args.GetOr("phone", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::MicroStation out, Unary(ctx, *stub, &Stub::RegisterMicroStation, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"ID", "NAME", "TIER", "LOCATION", "STAFF", "24H", "PHONE"});
  t.Elastic(1);
  t.AddRow({out.station_id(), out.name(), out.tier_path(), Location(out.location()),
            absl::StrCat(out.staff()), YesNo(out.on_duty_24h()), out.phone()});
  ctx.out() << t.Render();
  return absl::OkStatus();
}

absl::Status Nearby(Context& ctx, const ParsedArgs& args) {
  bv1::FindNearbyRequest req;
  if (!args.positionals().empty()) {
    req.set_building_id(args.positionals()[0]);
  } else if (args.Has("lat") && args.Has("lon")) {
    FG_ASSIGN_OR_RETURN(double lat, args.RequireDouble("lat"));
    FG_ASSIGN_OR_RETURN(double lon, args.RequireDouble("lon"));
    req.mutable_location()->set_latitude(lat);
    req.mutable_location()->set_longitude(lon);
  } else {
    return absl::InvalidArgumentError("give a building ID or --lat and --lon");
  }
  FG_ASSIGN_OR_RETURN(std::string kind_text, args.Require("kind"));
  if (kind_text == "station") kind_text = "micro_station";
  absl::StatusOr<bv1::NearbyKind> kind = ParseEnum<bv1::NearbyKind>(kind_text);
  if (!kind.ok()) return absl::InvalidArgumentError("--kind: hydrant, station or building");
  req.set_kind(*kind);
  FG_ASSIGN_OR_RETURN(double radius, args.GetDouble("radius", 0));
  req.set_radius_m(radius);
  FG_ASSIGN_OR_RETURN(int64_t limit, args.GetInt("limit", 0));
  req.set_limit(static_cast<int32_t>(limit));
  FG_ASSIGN_OR_RETURN(bool in_service, args.GetBool("in-service"));
  req.set_in_service_only(in_service);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::FindNearbyResponse out, Unary(ctx, *stub, &Stub::FindNearby, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"DISTANCE M", "ID", "NAME / MAINTAINER", "TIER", "LOCATION / ADDRESS", "STATUS"});
  t.Elastic(2);
  t.AlignRight(0);
  for (const bv1::NearbyResult& r : out.results()) {
    if (r.has_hydrant()) {
      const bv1::Hydrant& h = r.hydrant();
      t.AddRow({FormatNumber(r.distance_m(), 0), h.hydrant_id(), h.maintainer(), h.tier_path(),
                Location(h.location()), EnumLabel(h.status())});
    } else if (r.has_building()) {
      const bv1::NearbyBuilding& b = r.building();
      t.AddRow({FormatNumber(r.distance_m(), 0), b.building_id(), b.name(), b.tier_path(),
                b.address(), ""});
    } else {
      const bv1::MicroStation& m = r.station();
      t.AddRow({FormatNumber(r.distance_m(), 0), m.station_id(), m.name(), m.tier_path(),
                Location(m.location()),
                absl::StrCat(m.staff(), " staff", m.on_duty_24h() ? ", 24h" : "")});
    }
  }
  ctx.out() << t.Render();
  return absl::OkStatus();
}

// ----- ledger, import

std::vector<std::string> LedgerCells(const std::string& tier, const std::string& name,
                                     const bv1::LedgerCounts& c) {
  // A ratio with no denominator (e.g. no building has lanes) is unset: show "—", not 0 or 100 %.
  auto pct = [](bool has, double value) {
    return has ? absl::StrCat(FormatNumber(value, 1), "%") : std::string("—");
  };
  return {tier,
          name,
          absl::StrCat(c.buildings()),
          absl::StrCat(c.super_high_rise(), "/", c.class_i(), "/", c.class_ii(), "/",
                       c.not_high_rise()),
          pct(c.has_responsibility_filed_pct(), c.responsibility_filed_pct()),
          absl::StrCat(c.filed_late()),
          absl::StrCat(c.filing_pending(), "/", c.filing_late(), "/", c.filing_missing()),
          pct(c.has_lanes_marked_pct(), c.lanes_marked_pct()),
          pct(c.has_indoor_hydrants_with_water_pct(), c.indoor_hydrants_with_water_pct()),
          absl::StrCat(c.fire_access_non_compliant()),
          absl::StrCat(c.three_nos()),
          absl::StrCat(c.old_residential())};
}

absl::Status LedgerShow(Context& ctx, const ParsedArgs& args) {
  bv1::GetLedgerRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::Ledger out, Unary(ctx, *stub, &Stub::GetLedger, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  ctx.out() << "ledger " << out.tier_path() << " " << out.name() << " (generated "
            << FormatTime(out.generated_at()) << ")\n";
  Table t({"TIER", "NAME", "BUILDINGS", "SUPER/I/II/LOW", "FILED", "FILED LATE",
           "PENDING/LATE/MISSING", "LANES MARKED", "HYDRANTS WET", "ACCESS NOK", "THREE-NOS",
           "OLD"});
  t.Elastic(1);
  for (size_t c : {2, 4, 5, 7, 8, 9, 10, 11}) t.AlignRight(c);
  for (const bv1::LedgerRow& r : out.rows())
    t.AddRow(LedgerCells(r.tier_path(), r.name(), r.counts()));
  t.AddRow(LedgerCells("total", "", out.totals()));
  ctx.out() << t.Render();
  return absl::OkStatus();
}

// Writes an exported CSV to --out (saying how many `what` it wrote) or prints it (its JSON form
// with --output json).
absl::Status WriteCsvDocument(Context& ctx, const ParsedArgs& args, const bv1::CsvDocument& out,
                              absl::string_view what) {
  if (std::optional<std::string> path = args.Get("out")) {
    std::ofstream f(*path, std::ios::binary | std::ios::trunc);
    f << out.content();
    f.close();
    if (!f) return absl::PermissionDeniedError(absl::StrCat("cannot write ", *path));
    ctx.err() << "wrote " << out.rows() << " " << what << " to " << *path << "\n";
    return absl::OkStatus();
  }
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else {
    ctx.out() << out.content();
  }
  return absl::OkStatus();
}

absl::Status LedgerExport(Context& ctx, const ParsedArgs& args) {
  bv1::ExportLedgerCsvRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::CsvDocument out, Unary(ctx, *stub, &Stub::ExportLedgerCsv, req));
  return WriteCsvDocument(ctx, args, out, "rows");
}

absl::Status BuildingsExport(Context& ctx, const ParsedArgs& args) {
  bv1::ExportBuildingsCsvRequest req;
  req.set_tier_path(args.GetOr("tier", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(bv1::CsvDocument out, Unary(ctx, *stub, &Stub::ExportBuildingsCsv, req));
  return WriteCsvDocument(ctx, args, out, "buildings");
}

// "\r<file> [#######       ]  45%  1.8 of 4.0 MiB" on stderr, redrawn as chunks go out.
void DrawProgress(Context& ctx, const std::string& path, size_t sent, size_t total) {
  constexpr int kWidth = 30;
  const double f = total == 0 ? 1.0 : static_cast<double>(sent) / static_cast<double>(total);
  const int filled = static_cast<int>(f * kWidth);
  ctx.err() << "\r" << path << " [" << std::string(filled, '#') << std::string(kWidth - filled, ' ')
            << "] "
            << absl::StrFormat("%3d%%  %.1f of %.1f MiB", static_cast<int>(f * 100),
                               sent / 1048576.0, total / 1048576.0)
            << std::flush;
}

// The import of a large file through the client-streaming RPC, in 64 KiB chunks.
absl::StatusOr<bv1::ImportBuildingsCsvResponse> StreamImport(Context& ctx, Stub& stub,
                                                             const std::string& path,
                                                             const std::string& content,
                                                             bool dry_run) {
  constexpr size_t kChunk = 64 << 10;
  grpc::ClientContext call;
  ctx.Prepare(&call);
  bv1::ImportBuildingsCsvResponse out;
  std::unique_ptr<grpc::ClientWriter<bv1::ImportBuildingsCsvChunk>> writer =
      stub.ImportBuildingsCsvStream(&call, &out);
  for (size_t at = 0; at < content.size(); at += kChunk) {
    bv1::ImportBuildingsCsvChunk chunk;
    chunk.set_dry_run(dry_run);
    chunk.set_content(content.substr(at, kChunk));
    if (!writer->Write(chunk)) break;  // the server ended the call: Finish says why
    DrawProgress(ctx, path, std::min(content.size(), at + kChunk), content.size());
  }
  writer->WritesDone();
  ctx.err() << "\n" << path << ": sent; checking every row\n";
  grpc::Status s = writer->Finish();
  if (!s.ok()) return FromGrpc(s);
  return out;
}

absl::Status Import(Context& ctx, const ParsedArgs& args) {
  const std::string path = args.positionals()[0];
  bv1::ImportBuildingsCsvRequest req;
  FG_ASSIGN_OR_RETURN(*req.mutable_content(), ReadFile(path));
  FG_ASSIGN_OR_RETURN(bool dry_run, args.GetBool("dry-run"));
  req.set_dry_run(dry_run);
  auto stub = NewStub(ctx);
  bv1::ImportBuildingsCsvResponse out;
  constexpr size_t kStreamAbove = 1 << 20;  // larger files go in chunks, with a progress bar
  if (req.content().size() <= kStreamAbove) {
    FG_ASSIGN_OR_RETURN(out, Unary(ctx, *stub, &Stub::ImportBuildingsCsv, req));
  } else {
    FG_ASSIGN_OR_RETURN(out, StreamImport(ctx, *stub, path, req.content(), dry_run));
  }
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else if (!out.errors().empty()) {
    Table t({"LINE", "COLUMN", "PROBLEM"});
    t.Elastic(2);
    t.AlignRight(0);
    for (const bv1::RowError& e : out.errors()) {
      t.AddRow({absl::StrCat(e.line()), e.column(), e.message()});
    }
    ctx.out() << t.Render();
  } else {
    const std::string split =
        absl::StrCat(out.created(), " new, ", out.updated(), " updated, ", out.unchanged(),
                     " unchanged; ", out.encoding().empty() ? "" : out.encoding());
    if (dry_run) {
      ctx.out() << path << ": " << out.rows() << " rows valid (" << split
                << "; dry run, nothing imported)\n";
    } else {
      ctx.out() << path << ": imported " << out.imported() << " of " << out.rows() << " rows ("
                << split << ")\n";
    }
  }
  if (!out.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", out.errors_size(), " problem(s) in ",
                                                   out.rows(), " rows; nothing imported"));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterBuildingsCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"orgunits", "list"},
      .synopsis = "[--tier P] [--kind K]",
      .summary = "org units under a tier path (default: the caller's)",
      .flags = {ValueFlag("tier", "P  division-code prefix"),
                ValueFlag("kind",
                          "K  district|street|town|community|village|department|enterprise")},
      .run = OrgUnitsList});
  registry->Add(
      Command{.path = {"orgunits", "upsert"},
              .synopsis = "--code C --name N --kind K [--parent P] [--phone T]",
              .summary = "create or replace an org unit",
              .flags = {ValueFlag("code", "C  division code, or <parent>.<slug> for departments"),
                        ValueFlag("name", "N  name"), ValueFlag("kind", "K  org unit kind"),
                        ValueFlag("parent", "P  enclosing unit's code"),
                        ValueFlag("phone", "T  contact phone")},
              .run = OrgUnitsUpsert});
  registry->Add(Command{
      .path = {"buildings", "list"},
      .synopsis =
          "[--tier P] [--class C] [--use U] [--filing S] [--FLAG true|false] [--incomplete] "
          "[--page-size N] "
          "[--all]",
      .summary = "buildings under a tier path, with filters",
      .flags = {ValueFlag("tier", "P  division-code prefix"),
                RepeatedFlag("class", "C  not_high_rise|ii|i|super_high_rise (comma list)"),
                RepeatedFlag("use", "U  residential|office|mall|... (comma list)"),
                RepeatedFlag("filing", "S  missing|pending|late|filed|filed_late (comma list)"),
                ValueFlag("three-nos", "true|false"), ValueFlag("old-residential", "true|false"),
                ValueFlag("compliant", "true|false  fire-access compliance"),
                ValueFlag("with-lanes", "true|false  any fire lane or rescue site recorded"),
                ValueFlag("lanes-marked", "true|false  lanes/sites recorded and all marked"),
                ValueFlag("with-indoor-hydrants", "true|false  indoor hydrant status recorded"),
                ValueFlag("hydrants-with-water", "true|false  indoor hydrants with water"),
                BoolFlag("incomplete", "only buildings missing something the ledger counts"),
                ValueFlag("page-size", "N  1..500 (default 50)"),
                ValueFlag("page-token", "T  continue a listing"),
                BoolFlag("all", "follow every page")},
      .run = BuildingsList});
  registry->Add(Command{.path = {"buildings", "get"},
                        .synopsis = "ID",
                        .summary = "one building with its chain, facilities, lanes and sites",
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = BuildingsGet});
  registry->Add(Command{
      .path = {"buildings", "create"},
      .synopsis = "--name N --address A --tier P --use U --height M --floors N --lat L --lon L "
                  "[--party ROLE:NAME:CODE ...] [--request-id R]",
      .summary = "register a building",
      .flags = {ValueFlag("name", "N"), ValueFlag("address", "A"),
                ValueFlag("tier", "P  12-digit community/village code"),
                ValueFlag("use", "U  residential|office|mall|hotel|hospital|school|..."),
                ValueFlag("height", "M  metres"), ValueFlag("floors", "N  above ground"),
                ValueFlag("floors-below", "N  below ground"), ValueFlag("lat", "L  latitude"),
                ValueFlag("lon", "L  longitude"), ValueFlag("year", "Y  year built"),
                BoolFlag("three-nos", "三无 building"),
                BoolFlag("old-residential", "老旧高层居住建筑"),
                BoolFlag("large-mixed-use", "public building with large mixed uses"),
                RepeatedFlag("party",
                             "ROLE:NAME:CODE|ROLE:NAME:id:NUMBER[:ACCOUNT]  a credit subject "
                             "(owner, occupant, management_unit, property_company, "
                             "maintenance_agency, builder); repeat for each"),
                ValueFlag("request-id", "R  idempotency key")},
      .run = BuildingsCreate});
  registry->Add(
      Command{.path = {"buildings", "update"},
              .synopsis = "ID --version V [--set field=value ...] [--party ROLE:NAME:CODE ... | "
                          "--clear-parties]",
              .summary = "change client-settable fields (height_m, use, location.latitude, ...); "
                         "--party replaces the parties",
              .flags = {ValueFlag("version", "V  the version you read"),
                        RepeatedFlag("set", "field=value  a Building field (proto name)"),
                        RepeatedFlag("party",
                                     "ROLE:NAME:CODE|ROLE:NAME:id:NUMBER[:ACCOUNT]  the new list "
                                     "of credit subjects, one flag each (docs/csv-import.md)"),
                        BoolFlag("clear-parties", "remove every party")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run = BuildingsUpdate});
  registry->Add(Command{
      .path = {"buildings", "file"},
      .synopsis = "ID --version V --management-unit U --responsible NAME:PHONE "
                  "--manager NAME:PHONE[:SUBJECT] --head NAME:PHONE --property-company C "
                  "[--document-number N --filed-at YYYY-MM-DD]",
      .summary = "record the responsibility chain (户籍化); with a document number, file it",
      .flags = {ValueFlag("version", "V  the version you read"),
                ValueFlag("management-unit", "U  消防安全管理单位"),
                ValueFlag("responsible", "NAME:PHONE[:SUBJECT]  消防安全责任人"),
                ValueFlag("manager", "NAME:PHONE[:SUBJECT]  消防安全管理人"),
                ValueFlag("head", "NAME:PHONE[:SUBJECT]  楼栋长"),
                ValueFlag("property-company", "C  物业服务企业"),
                ValueFlag("document-number", "N  filing document"),
                ValueFlag("filed-at", "YYYY-MM-DD  filing date (default today)")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = BuildingsFile});
  registry->Add(Command{.path = {"buildings", "history"},
                        .synopsis = "ID",
                        .summary = "the responsibility records of a building, oldest first",
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = BuildingsHistory});
  registry->Add(Command{
      .path = {"facility", "set"},
      .synopsis = "ID --kind K --status S [--note N]",
      .summary = "record a fire facility's status",
      .flags = {ValueFlag("kind", "K  fire_alarm|sprinkler|indoor_hydrant|smoke_control|..."),
                ValueFlag("status", "S  normal|fault|under_repair|no_water|not_installed|disabled"),
                ValueFlag("note", "N")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = FacilitySet});
  registry->Add(Command{
      .path = {"fire-access", "set"},
      .synopsis = "ID --version V --file lanes.json",
      .summary = "replace the fire lanes and rescue sites (JSON: {\"fire_lanes\":[...], "
                 "\"rescue_sites\":[...]}) and assess them",
      .flags = {ValueFlag("version", "V  the version you read"),
                ValueFlag("file", "F  JSON of SetFireAccessRequest without id and version")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = FireAccessSet});
  registry->Add(Command{.path = {"fire-access", "assess"},
                        .synopsis = "ID",
                        .summary = "assess a building's fire lanes and rescue sites",
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = FireAccessAssess});
  registry->Add(Command{
      .path = {"hydrants", "add"},
      .synopsis = "--tier P --lat L --lon L --status S --maintainer M [--note N] [--id ID]",
      .summary = "register a municipal hydrant (with --id: update it)",
      .flags = {ValueFlag("tier", "P  street or community code"), ValueFlag("lat", "L"),
                ValueFlag("lon", "L"),
                ValueFlag("status", "S  in_service|damaged|removed|valve_shut|low_pressure"),
                ValueFlag("maintainer", "M  e.g. the water company"), ValueFlag("note", "N"),
                ValueFlag("id", "ID  existing hydrant to update")},
      .run = HydrantsAdd});
  registry->Add(Command{
      .path = {"stations", "add"},
      .synopsis = "--name N --tier P --lat L --lon L --staff N [--24h] [--phone T] [--id ID]",
      .summary = "register a micro fire station (with --id: update it)",
      .flags = {ValueFlag("name", "N"), ValueFlag("tier", "P"), ValueFlag("lat", "L"),
                ValueFlag("lon", "L"), ValueFlag("staff", "N"),
                BoolFlag("24h", "on duty around the clock"), ValueFlag("phone", "T"),
                ValueFlag("id", "ID  existing station to update")},
      .run = StationsAdd});
  registry->Add(
      Command{.path = {"nearby"},
              .synopsis = "ID|--lat L --lon L --kind hydrant|station|building [--radius M] "
                          "[--limit N] [--in-service]",
              .summary = "nearest hydrants, micro stations or registered buildings",
              .flags = {ValueFlag("kind", "hydrant|station|building"), ValueFlag("radius", "M  metres"),
                        ValueFlag("limit", "N"), ValueFlag("lat", "L"), ValueFlag("lon", "L"),
                        BoolFlag("in-service", "hydrants in service only")},
              .max_positionals = 1,
              .run = Nearby});
  registry->Add(Command{.path = {"ledger"},
                        .synopsis = "[--tier P]",
                        .summary = "the street ledger 台账 (default: the caller's tier)",
                        .flags = {ValueFlag("tier", "P  street/town or district code")},
                        .run = LedgerShow});
  registry->Add(Command{.path = {"ledger", "export"},
                        .synopsis = "[--tier P] [--out FILE]",
                        .summary = "the ledger as CSV, to FILE or stdout",
                        .flags = {ValueFlag("tier", "P"), ValueFlag("out", "FILE")},
                        .run = LedgerExport});
  registry->Add(Command{.path = {"buildings", "export"},
                        .synopsis = "[--tier P] [--out FILE]",
                        .summary =
                            "the registry as CSV in the import's format (docs/csv-import.md), "
                            "to FILE or stdout",
                        .flags = {ValueFlag("tier", "P"), ValueFlag("out", "FILE")},
                        .run = BuildingsExport});
  registry->Add(Command{.path = {"import"},
                        .synopsis = "FILE.csv [--dry-run]",
                        .summary = "import buildings from CSV (UTF-8 or GB18030; rows matching a "
                                   "registered building update it); all rows or none (exit 1 "
                                   "listing bad rows)",
                        .flags = {BoolFlag("dry-run", "validate only")},
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = Import});
}

}  // namespace firegrid::ctl
