// Commands of the monitoring service (物联监测): the device registry (register, get, list, CSV
// import), alarms (list, get, count, acknowledge, clear) and signals sent through the Ingest RPC
// from a JSON file. They talk to the monitoring address (--addr, else FIREGRID_MONITORING_ADDR,
// else 127.0.0.1:50055).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;
namespace bv1 = ::firegrid::buildings::v1;
using Stub = mv1::MonitoringService::Stub;

std::unique_ptr<Stub> NewStub(Context& ctx) {
  return mv1::MonitoringService::NewStub(ctx.channel());
}

// ----- flags

template <typename E>
absl::StatusOr<E> EnumFlag(const ParsedArgs& args, const std::string& flag, E fallback) {
  if (!args.Has(flag)) return fallback;
  absl::StatusOr<E> v = ParseEnum<E>(args.GetOr(flag, ""));
  if (!v.ok()) return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
  return *v;
}

// A repeated enum flag whose values may also be comma lists: --state a,b --state c.
template <typename E>
absl::Status AddEnums(const ParsedArgs& args, const std::string& flag,
                      google::protobuf::RepeatedField<int>* out) {
  for (const std::string& value : args.GetAll(flag)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      absl::StatusOr<E> v = ParseEnum<E>(absl::StripAsciiWhitespace(part));
      if (!v.ok()) return UsageError(absl::StrCat("--", flag, ": ", v.status().message()));
      out->Add(*v);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> PageSize(const ParsedArgs& args) {
  FG_ASSIGN_OR_RETURN(int64_t n, args.GetInt("page-size", 0));
  if (args.Has("page-size") && (n < 1 || n > 500)) {
    return UsageError("--page-size: between 1 and 500");
  }
  return static_cast<int32_t>(n);
}

// One page (--page-size, --page-token), or with --all every page merged into one response.
template <typename Request, typename Response, typename Item>
absl::StatusOr<Response> ListPages(Context& ctx, const ParsedArgs& args, Request req,
                                   grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                                   google::protobuf::RepeatedPtrField<Item>* (Response::*field)()) {
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  FG_ASSIGN_OR_RETURN(int32_t page_size, PageSize(args));
  req.set_page_size(page_size);
  req.set_page_token(args.GetOr("page-token", ""));
  auto stub = NewStub(ctx);
  return ctl::ListPages(ctx, *stub, all, std::move(req), method, field);
}

void MorePages(Context& ctx, const std::string& token) {
  if (token.empty()) return;
  ctx.out().flush();
  ctx.err() << "more: --page-token " << token << " (or --all)\n";
}

// ----- rendering

std::string Where(const std::string& floor, const std::string& point) {
  if (floor.empty()) return point;
  return point.empty() ? absl::StrCat(floor, "F") : absl::StrCat(floor, "F ", point);
}

std::string AnalogText(const google::protobuf::RepeatedPtrField<mv1::AnalogValue>& values) {
  std::vector<std::string> parts;
  for (const mv1::AnalogValue& a : values) {
    parts.push_back(absl::StrCat(EnumLabel(a.quantity()), " ", FormatNumber(a.value(), 3)));
  }
  return absl::StrJoin(parts, ", ");
}

std::string StateBitsText(const mv1::StateBits& b) {
  std::vector<std::string> on;
  const google::protobuf::Descriptor* d = b.GetDescriptor();
  const google::protobuf::Reflection* r = b.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    if (r->GetBool(b, d->field(i))) on.push_back(d->field(i)->name());
  }
  return on.empty() ? "normal" : absl::StrJoin(on, ", ");
}

std::string LiveCell(const mv1::Device& d) {
  if (!d.has_live() || !d.live().has_last_seen()) return "never";
  return d.live().online() ? "online" : "offline";
}

void PrintDevice(Context& ctx, const mv1::Device& d) {
  if (ctx.json()) {
    ctx.PrintJson(d);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"device", d.device_id()},
      {"type", EnumLabel(d.type())},
      {"status", EnumLabel(d.status())},
      {"building", d.building_name().empty()
                       ? d.building_id()
                       : absl::StrCat(d.building_name(), " (", d.building_id(), ")")},
      {"tier", d.tier_path()},
      {"where", Where(d.floor(), d.point())},
  };
  if (d.facility() != bv1::FACILITY_KIND_UNSPECIFIED) {
    kv.push_back({"facility", EnumLabel(d.facility())});
  }
  if (!d.model().empty() || !d.manufacturer().empty()) {
    kv.push_back(
        {"model", absl::StrCat(d.manufacturer(), d.manufacturer().empty() ? "" : " ", d.model())});
  }
  kv.push_back({"gateway", d.gateway_id().empty() ? "(publishes itself)" : d.gateway_id()});
  kv.push_back({"heartbeat", absl::FormatDuration(absl::Seconds(d.heartbeat_period().seconds()))});
  kv.push_back({"live", LiveCell(d)});
  if (d.has_live() && d.live().has_last_seen()) {
    const mv1::DeviceLiveState& l = d.live();
    kv.push_back({"last seen", FormatTime(l.last_seen())});
    kv.push_back({"boot epoch / sequence", absl::StrCat(l.boot_epoch(), " / ", l.sequence())});
    kv.push_back({"state", StateBitsText(l.state())});
    if (!l.analog().empty()) kv.push_back({"values", AnalogText(l.analog())});
  }
  kv.push_back({"version", absl::StrCat(d.version())});
  ctx.out() << RenderKeyValues(kv);
}

std::string AlarmStateCell(const mv1::Alarm& a) { return EnumLabel(a.state()); }

void PrintAlarm(Context& ctx, const mv1::Alarm& a) {
  if (ctx.json()) {
    ctx.PrintJson(a);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"alarm", a.alarm_id()},
      {"type", EnumLabel(a.type())},
      {"severity", EnumLabel(a.severity())},
      {"state", AlarmStateCell(a)},
      {"device", absl::StrCat(a.device_id(), " (", EnumLabel(a.device_type()), ")")},
      {"building", a.building_name().empty()
                       ? a.building_id()
                       : absl::StrCat(a.building_name(), " (", a.building_id(), ")")},
      {"tier", a.tier_path()},
      {"where", Where(a.floor(), a.point())},
      {"rule", a.rule_id()},
      {"started", FormatTime(a.started_at())},
      {"raised", FormatTime(a.raised_at())},
      {"last", FormatTime(a.last_at())},
      {"count", absl::StrCat(a.count())},
  };
  if (a.limit() != 0 || a.value() != 0) {
    kv.push_back({"value", absl::StrCat(FormatNumber(a.value(), 3), " (limit ",
                                        FormatNumber(a.limit(), 3), ")")});
  }
  if (!a.details().empty()) kv.push_back({"details", a.details()});
  if (a.has_acknowledged_at()) {
    kv.push_back({"acknowledged",
                  absl::StrCat(FormatTime(a.acknowledged_at()), " by ", a.acknowledged_by())});
  }
  if (a.has_cleared_at()) {
    kv.push_back({"cleared", absl::StrCat(FormatTime(a.cleared_at()),
                                          a.cleared_by().empty() ? "" : " by " + a.cleared_by())});
  }
  if (!a.hazard_id().empty()) kv.push_back({"hazard", a.hazard_id()});
  ctx.out() << RenderKeyValues(kv);
  if (a.history().empty()) return;
  Table t({"AT", "ACTION", "FROM", "TO", "BY", "NOTE"});
  t.Elastic(5);
  for (const mv1::AlarmTransition& h : a.history()) {
    t.AddRow({FormatTime(h.at()), h.action(),
              h.from() == mv1::ALARM_STATE_UNSPECIFIED ? "" : EnumLabel(h.from()),
              EnumLabel(h.to()), h.actor(), h.note()});
  }
  ctx.out() << "\n" << t.Render();
}

// ----- devices

absl::Status DevicesRegister(Context& ctx, const ParsedArgs& args) {
  mv1::RegisterDeviceRequest req;
  mv1::Device& d = *req.mutable_device();
  FG_ASSIGN_OR_RETURN(std::string id, args.Require("id"));
  d.set_device_id(id);
  FG_RETURN_IF_ERROR(args.Require("type").status());
  FG_ASSIGN_OR_RETURN(mv1::DeviceType t, EnumFlag(args, "type", mv1::DEVICE_TYPE_UNSPECIFIED));
  d.set_type(t);
  FG_ASSIGN_OR_RETURN(std::string building, args.Require("building"));
  d.set_building_id(building);
  d.set_floor(args.GetOr("floor", ""));
  d.set_point(args.GetOr("point", ""));
  d.set_model(args.GetOr("model", ""));
  d.set_manufacturer(args.GetOr("manufacturer", ""));
  d.set_gateway_id(args.GetOr("gateway", ""));
  FG_ASSIGN_OR_RETURN(bv1::FacilityKind facility,
                      EnumFlag(args, "facility", bv1::FACILITY_KIND_UNSPECIFIED));
  d.set_facility(facility);
  FG_ASSIGN_OR_RETURN(mv1::DeviceStatus status,
                      EnumFlag(args, "status", mv1::DEVICE_STATUS_UNSPECIFIED));
  d.set_status(status);
  if (args.Has("heartbeat")) {
    FG_ASSIGN_OR_RETURN(absl::Duration hb, args.GetDuration("heartbeat", absl::ZeroDuration()));
    d.mutable_heartbeat_period()->set_seconds(absl::ToInt64Seconds(hb));
  }
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::Device out, Unary(ctx, *stub, &Stub::RegisterDevice, req));
  PrintDevice(ctx, out);
  return absl::OkStatus();
}

absl::Status DevicesGet(Context& ctx, const ParsedArgs& args) {
  mv1::GetDeviceRequest req;
  req.set_device_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::Device out, Unary(ctx, *stub, &Stub::GetDevice, req));
  PrintDevice(ctx, out);
  return absl::OkStatus();
}

absl::Status DevicesList(Context& ctx, const ParsedArgs& args) {
  mv1::ListDevicesRequest req;
  req.set_building_id(args.GetOr("building", ""));
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  FG_ASSIGN_OR_RETURN(mv1::DeviceType type, EnumFlag(args, "type", mv1::DEVICE_TYPE_UNSPECIFIED));
  req.set_type(type);
  FG_ASSIGN_OR_RETURN(mv1::DeviceStatus status,
                      EnumFlag(args, "status", mv1::DEVICE_STATUS_UNSPECIFIED));
  req.set_status(status);
  FG_ASSIGN_OR_RETURN(bool offline, args.GetBool("offline"));
  req.set_offline_only(offline);
  FG_ASSIGN_OR_RETURN(
      mv1::ListDevicesResponse out,
      ListPages(ctx, args, req, &Stub::ListDevices, &mv1::ListDevicesResponse::mutable_devices));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t(
      {"DEVICE", "TYPE", "STATUS", "LIVE", "BUILDING", "WHERE", "GATEWAY", "LAST SEEN", "VALUES"});
  t.Elastic(4);
  t.Elastic(5);
  t.WideOnly(7);
  t.WideOnly(8);
  for (const mv1::Device& d : out.devices()) {
    t.AddRow({d.device_id(), EnumLabel(d.type()), EnumLabel(d.status()), LiveCell(d),
              d.building_name().empty() ? d.building_id() : d.building_name(),
              Where(d.floor(), d.point()), d.gateway_id(),
              d.live().has_last_seen() ? FormatTime(d.live().last_seen()) : "",
              AnalogText(d.live().analog())});
  }
  ctx.out() << t.Render();
  MorePages(ctx, out.next_page_token());
  return absl::OkStatus();
}

absl::Status DevicesImport(Context& ctx, const ParsedArgs& args) {
  const std::string path = args.positionals()[0];
  mv1::ImportDevicesCsvRequest req;
  FG_ASSIGN_OR_RETURN(*req.mutable_csv(), ReadFile(path));
  FG_ASSIGN_OR_RETURN(bool dry_run, args.GetBool("dry-run"));
  req.set_dry_run(dry_run);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::ImportDevicesCsvResponse out,
                      Unary(ctx, *stub, &Stub::ImportDevicesCsv, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else if (!out.errors().empty()) {
    Table t({"LINE", "FIELD", "PROBLEM"});
    t.AlignRight(0);
    t.Elastic(2);
    for (const mv1::ImportRowError& e : out.errors()) {
      t.AddRow({absl::StrCat(e.line()), e.field(), e.message()});
    }
    ctx.out() << t.Render();
  } else {
    ctx.out() << path << ": " << out.created() << " new, " << out.updated() << " updated, "
              << out.unchanged() << " unchanged" << (dry_run ? " (dry run, nothing written)" : "")
              << "\n";
  }
  if (!out.errors().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", out.errors_size(), " problem(s); nothing imported"));
  }
  return absl::OkStatus();
}

// ----- alarms

absl::Status AlarmsList(Context& ctx, const ParsedArgs& args) {
  mv1::ListAlarmsRequest req;
  req.set_building_id(args.GetOr("building", ""));
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  req.set_device_id(args.GetOr("device", ""));
  FG_RETURN_IF_ERROR(AddEnums<mv1::AlarmState>(args, "state", req.mutable_states()));
  FG_RETURN_IF_ERROR(AddEnums<mv1::AlarmType>(args, "type", req.mutable_types()));
  FG_ASSIGN_OR_RETURN(
      mv1::ListAlarmsResponse out,
      ListPages(ctx, args, req, &Stub::ListAlarms, &mv1::ListAlarmsResponse::mutable_alarms));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"ALARM", "TYPE", "SEVERITY", "STATE", "COUNT", "RAISED", "BUILDING", "DEVICE", "WHERE",
           "HAZARD"});
  t.AlignRight(4);
  t.Elastic(6);
  t.Elastic(8);
  t.WideOnly(8);
  t.WideOnly(9);
  for (const mv1::Alarm& a : out.alarms()) {
    t.AddRow({a.alarm_id(), EnumLabel(a.type()), EnumLabel(a.severity()), AlarmStateCell(a),
              absl::StrCat(a.count()), FormatTime(a.raised_at()),
              a.building_name().empty() ? a.building_id() : a.building_name(), a.device_id(),
              Where(a.floor(), a.point()), a.hazard_id()});
  }
  ctx.out() << t.Render();
  MorePages(ctx, out.next_page_token());
  return absl::OkStatus();
}

absl::Status AlarmsGet(Context& ctx, const ParsedArgs& args) {
  mv1::GetAlarmRequest req;
  req.set_alarm_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::Alarm out, Unary(ctx, *stub, &Stub::GetAlarm, req));
  PrintAlarm(ctx, out);
  return absl::OkStatus();
}

absl::Status AlarmsCount(Context& ctx, const ParsedArgs& args) {
  mv1::CountAlarmsRequest req;
  req.set_building_id(args.GetOr("building", ""));
  req.set_tier_path_prefix(args.GetOr("tier", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::AlarmCounts out, Unary(ctx, *stub, &Stub::CountAlarms, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  ctx.out() << RenderKeyValues(
      {{"scope", out.scope()},
       {"active", absl::StrCat(out.active())},
       {"active, not acknowledged", absl::StrCat(out.active_unacknowledged())}});
  if (out.counts().empty()) return absl::OkStatus();
  Table t({"TYPE", "STATE", "COUNT"});
  t.AlignRight(2);
  for (const mv1::AlarmCount& c : out.counts()) {
    t.AddRow({EnumLabel(c.type()), EnumLabel(c.state()), absl::StrCat(c.count())});
  }
  ctx.out() << "\n" << t.Render();
  return absl::OkStatus();
}

absl::Status AlarmsAck(Context& ctx, const ParsedArgs& args) {
  mv1::AcknowledgeAlarmRequest req;
  req.set_alarm_id(args.positionals()[0]);
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::Alarm out, Unary(ctx, *stub, &Stub::AcknowledgeAlarm, req));
  PrintAlarm(ctx, out);
  return absl::OkStatus();
}

absl::Status AlarmsClear(Context& ctx, const ParsedArgs& args) {
  mv1::ClearAlarmRequest req;
  req.set_alarm_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(std::string note, args.Require("note"));
  if (absl::StripAsciiWhitespace(note).empty()) return UsageError("--note: must not be empty");
  req.set_note(note);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(mv1::Alarm out, Unary(ctx, *stub, &Stub::ClearAlarm, req));
  PrintAlarm(ctx, out);
  return absl::OkStatus();
}

// ----- ingest

// A JSON file of signals: an IngestRequest ({"gateway_id": ..., "signals": [...]}), a
// SignalBatch ({"signals": [...]}) or one Signal. Sent through the client-streaming Ingest RPC
// in requests of at most 1000 signals.
absl::Status Ingest(Context& ctx, const ParsedArgs& args) {
  const std::string path = args.positionals()[0];
  FG_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  google::protobuf::util::JsonParseOptions strict;
  mv1::IngestRequest all;
  if (!google::protobuf::util::JsonStringToMessage(text, &all, strict).ok()) {
    mv1::Signal one;
    auto st = google::protobuf::util::JsonStringToMessage(text, &one, strict);
    if (!st.ok()) {
      return ClientSideError(absl::InvalidArgumentError(
          absl::StrCat(path, ": not an IngestRequest, SignalBatch or Signal in JSON: ",
                       absl::string_view(st.message().data(), st.message().size()))));
    }
    *all.add_signals() = std::move(one);
  }
  if (args.Has("gateway")) all.set_gateway_id(args.GetOr("gateway", ""));
  if (all.signals().empty()) {
    return ClientSideError(absl::InvalidArgumentError(absl::StrCat(path, ": no signals")));
  }
  auto stub = NewStub(ctx);
  grpc::ClientContext call;
  ctx.Prepare(&call);
  mv1::IngestResponse out;
  std::unique_ptr<grpc::ClientWriter<mv1::IngestRequest>> writer = stub->Ingest(&call, &out);
  constexpr int kPerRequest = 1000;
  for (int at = 0; at < all.signals_size(); at += kPerRequest) {
    mv1::IngestRequest req;
    req.set_gateway_id(all.gateway_id());
    for (int i = at; i < std::min(all.signals_size(), at + kPerRequest); ++i) {
      *req.add_signals() = all.signals(i);
    }
    if (!writer->Write(req)) break;  // the server ended the call: Finish says why
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return FromGrpc(s);
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  ctx.out() << path << ": " << out.accepted() << " accepted, " << out.duplicates() << " duplicate, "
            << out.rejected_total() << " rejected\n";
  if (!out.rejected().empty()) {
    Table t({"DEVICE", "EPOCH", "SEQUENCE", "REASON"});
    t.AlignRight(1);
    t.AlignRight(2);
    t.Elastic(3);
    for (const mv1::RejectedSignal& r : out.rejected()) {
      t.AddRow(
          {r.device_id(), absl::StrCat(r.boot_epoch()), absl::StrCat(r.sequence()), r.reason()});
    }
    ctx.out() << t.Render();
  }
  return absl::OkStatus();
}

Command Monitoring(Command c) {
  c.endpoint = FixedEndpoint(kMonitoringEndpoint);
  return c;
}

std::vector<FlagSpec> PageFlags() {
  return {ValueFlag("page-size", "N  1..500 (default 50)"),
          ValueFlag("page-token", "T  continue a listing"), BoolFlag("all", "follow every page")};
}

std::vector<FlagSpec> With(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

void RegisterMonitoringCommands(Registry* registry) {
  registry->Add(Monitoring(Command{
      .path = {"monitoring", "devices", "register"},
      .synopsis = "--id ID --type T --building B [--floor F] [--point P] [--facility K] "
                  "[--gateway G] [--heartbeat D] [--model M] [--manufacturer M] [--status S]",
      .summary = "register a monitoring device on a building",
      .flags = {ValueFlag("id", "ID  3-64 of A-Z a-z 0-9 . _ - (names its MQTT topic)"),
                ValueFlag("type",
                          "T  fire_alarm_panel|hydrant_pressure|sprinkler_pressure|"
                          "water_tank_level|electrical_fire_monitor|smoke_detector|"
                          "gas_detector"),
                ValueFlag("building", "B  the building id"), ValueFlag("floor", "F  e.g. B1, 12"),
                ValueFlag("point", "P  where on the floor"),
                ValueFlag("facility", "K  the building facility it watches, e.g. indoor_hydrant"),
                ValueFlag("gateway",
                          "G  the gateway it reports through (none: it publishes itself)"),
                ValueFlag("heartbeat", "D  heartbeat period, 30s..24h (default 5m)"),
                ValueFlag("model", "M  model"), ValueFlag("manufacturer", "M  manufacturer"),
                ValueFlag("status", "S  installed|in_service (default installed)")},
      .run = DevicesRegister}));
  registry->Add(Monitoring(Command{.path = {"monitoring", "devices", "get"},
                                   .synopsis = "DEVICE",
                                   .summary = "a device, its live state and last values",
                                   .min_positionals = 1,
                                   .max_positionals = 1,
                                   .run = DevicesGet}));
  registry->Add(Monitoring(Command{
      .path = {"monitoring", "devices", "list"},
      .synopsis = "[--building B | --tier P] [--type T] [--status S] [--offline] [--page-size N] "
                  "[--page-token T] [--all]",
      .summary = "devices of a building or under a tier path",
      .flags = With({ValueFlag("building", "B  that building's devices"),
                     ValueFlag("tier", "P  under this tier path (default: the caller's)"),
                     ValueFlag("type", "T  one device type"),
                     ValueFlag("status", "S  installed|in_service|decommissioned"),
                     BoolFlag("offline", "only devices that are offline")},
                    PageFlags()),
      .run = DevicesList}));
  registry->Add(
      Monitoring(Command{.path = {"monitoring", "devices", "import"},
                         .synopsis = "FILE.csv [--dry-run]",
                         .summary = "register or update devices from a CSV file (all rows or none)",
                         .flags = {BoolFlag("dry-run", "check every row, write nothing")},
                         .min_positionals = 1,
                         .max_positionals = 1,
                         .run = DevicesImport}));
  registry->Add(Monitoring(Command{
      .path = {"monitoring", "alarms", "list"},
      .synopsis = "[--building B | --tier P] [--device D] [--state S]... [--type T]... "
                  "[--page-size N] [--page-token T] [--all]",
      .summary = "alarms, newest raise first (default: the active ones)",
      .flags = With({ValueFlag("building", "B  that building's alarms"),
                     ValueFlag("tier", "P  under this tier path (default: the caller's)"),
                     ValueFlag("device", "D  one device's alarms"),
                     RepeatedFlag("state",
                                  "S  active_unack|active_ack|cleared_unack|cleared_ack "
                                  "(comma list)"),
                     RepeatedFlag("type", "T  fire|fault|low_pressure|offline|... (comma list)")},
                    PageFlags()),
      .run = AlarmsList}));
  registry->Add(Monitoring(Command{.path = {"monitoring", "alarms", "get"},
                                   .synopsis = "ALARM",
                                   .summary = "an alarm with its history of transitions",
                                   .min_positionals = 1,
                                   .max_positionals = 1,
                                   .run = AlarmsGet}));
  registry->Add(Monitoring(Command{
      .path = {"monitoring", "alarms", "count"},
      .synopsis = "[--building B | --tier P]",
      .summary = "active alarms by type and state in a building, community, street or district",
      .flags = {ValueFlag("building", "B  one building"),
                ValueFlag("tier", "P  district (6), street (9) or community (12) code")},
      .run = AlarmsCount}));
  registry->Add(Monitoring(Command{.path = {"monitoring", "alarms", "ack"},
                                   .synopsis = "ALARM [--note N]",
                                   .summary = "acknowledge an alarm",
                                   .flags = {ValueFlag("note", "N  optional note")},
                                   .min_positionals = 1,
                                   .max_positionals = 1,
                                   .run = AlarmsAck}));
  registry->Add(Monitoring(Command{.path = {"monitoring", "alarms", "clear"},
                                   .synopsis = "ALARM --note N",
                                   .summary = "clear an alarm by hand (a latching fire alarm)",
                                   .flags = {ValueFlag("note", "N  why (required)")},
                                   .min_positionals = 1,
                                   .max_positionals = 1,
                                   .run = AlarmsClear}));
  registry->Add(Monitoring(Command{
      .path = {"monitoring", "ingest"},
      .synopsis = "FILE.json [--gateway G]",
      .summary = "send signals (JSON: an IngestRequest, a SignalBatch or a Signal) to Ingest",
      .flags = {ValueFlag("gateway", "G  the gateway the signals come through")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = Ingest}));
}

}  // namespace firegrid::ctl
