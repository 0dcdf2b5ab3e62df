#include "services/monitoring/device_csv.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "services/monitoring/device_fields.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;

const std::vector<std::string>& RequiredColumns() {
  static const auto* const kRequired =
      new std::vector<std::string>{"device_id", "type", "building_id"};
  return *kRequired;
}

const std::vector<std::string>& OptionalColumns() {
  static const auto* const kOptional =
      new std::vector<std::string>{"model",  "manufacturer",       "floor",     "point", "facility",
                                   "status", "heartbeat_period_s", "gateway_id"};
  return *kOptional;
}

bool Known(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// A spreadsheet-neutralised cell ("'=..." as CSV writers neutralise formulas) reads back as its
// value.
std::string Unneutralise(std::string v) {
  if (v.size() > 1 && v[0] == '\'' && (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@')) {
    v.erase(0, 1);
  }
  return v;
}

// The column a Device field is read from.
std::string ColumnOf(const std::string& field) {
  return field == "heartbeat_period" ? "heartbeat_period_s" : field;
}

template <class E>
bool ParseEnumCell(absl::string_view cell, absl::string_view prefix,
                   bool (*parse)(const std::string&, E*), E* out) {
  std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(cell));
  absl::StrReplaceAll({{"-", "_"}, {" ", "_"}}, &name);
  if (name.empty()) return false;
  if (!absl::StartsWith(name, prefix)) name = absl::StrCat(prefix, name);
  E v{};
  if (!parse(name, &v) || static_cast<int>(v) == 0) return false;
  *out = v;
  return true;
}

}  // namespace

bool ParseDeviceType(absl::string_view cell, v1::DeviceType* out) {
  return ParseEnumCell(cell, "DEVICE_TYPE_", &v1::DeviceType_Parse, out);
}

bool ParseFacility(absl::string_view cell, bv1::FacilityKind* out) {
  return ParseEnumCell(cell, "FACILITY_KIND_", &bv1::FacilityKind_Parse, out);
}

bool ParseDeviceStatus(absl::string_view cell, v1::DeviceStatus* out) {
  return ParseEnumCell(cell, "DEVICE_STATUS_", &v1::DeviceStatus_Parse, out);
}

void AddDeviceImportError(v1::ImportDevicesCsvResponse* resp, int line, const std::string& column,
                          absl::string_view message) {
  if (resp->errors_size() >= kMaxReportedDeviceImportErrors) return;
  v1::ImportRowError* e = resp->add_errors();
  e->set_line(line);
  e->set_field(column);
  e->set_message(std::string(message));
}

DeviceColumns ReadDeviceHeader(const buildings::CsvRecord& header,
                               v1::ImportDevicesCsvResponse* resp) {
  DeviceColumns col;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.fields[i]));
    if (!Known(RequiredColumns(), name) && !Known(OptionalColumns(), name)) {
      AddDeviceImportError(resp, header.line, name, "unknown column");
      continue;
    }
    if (!col.emplace(name, static_cast<int>(i)).second) {
      AddDeviceImportError(resp, header.line, name, "duplicate column");
    }
  }
  for (const std::string& r : RequiredColumns()) {
    if (col.count(r) == 0) AddDeviceImportError(resp, header.line, r, "required column missing");
  }
  return col;
}

std::optional<v1::Device> DeviceFromRow(const buildings::CsvRecord& rec, const DeviceColumns& col,
                                        size_t width, v1::ImportDevicesCsvResponse* resp) {
  auto fail = [&](const std::string& column, absl::string_view message) {
    AddDeviceImportError(resp, rec.line, column, message);
  };
  auto get = [&](const std::string& name) -> std::string {
    auto it = col.find(name);
    if (it == col.end() || it->second >= static_cast<int>(rec.fields.size())) return "";
    return Unneutralise(std::string(absl::StripAsciiWhitespace(rec.fields[it->second])));
  };
  if (rec.fields.size() != width) {
    fail("", absl::StrCat("has ", rec.fields.size(), " fields, the header ", width));
    return std::nullopt;
  }
  bool ok = true;
  v1::Device d;
  d.set_device_id(get("device_id"));
  d.set_building_id(get("building_id"));
  d.set_model(get("model"));
  d.set_manufacturer(get("manufacturer"));
  d.set_floor(get("floor"));
  d.set_point(get("point"));
  d.set_gateway_id(get("gateway_id"));
  const std::string type = get("type");
  v1::DeviceType t;
  if (type.empty()) {
    // CheckDeviceFields reports it as required.
  } else if (ParseDeviceType(type, &t)) {
    d.set_type(t);
  } else {
    fail("type", absl::StrCat("unknown device type '", type, "'"));
    ok = false;
  }
  const std::string facility = get("facility");
  bv1::FacilityKind f;
  if (!facility.empty()) {
    if (ParseFacility(facility, &f)) {
      d.set_facility(f);
    } else {
      fail("facility", absl::StrCat("unknown facility '", facility, "'"));
      ok = false;
    }
  }
  const std::string status = get("status");
  v1::DeviceStatus s;
  if (!status.empty()) {
    if (ParseDeviceStatus(status, &s)) {
      d.set_status(s);
    } else {
      fail("status", absl::StrCat("unknown status '", status, "'"));
      ok = false;
    }
  }
  const std::string hb = get("heartbeat_period_s");
  if (!hb.empty()) {
    int64_t seconds = 0;
    if (absl::SimpleAtoi(hb, &seconds)) {
      d.mutable_heartbeat_period()->set_seconds(seconds);
    } else {
      fail("heartbeat_period_s", "is not a whole number of seconds");
      ok = false;
    }
  }
  v1::Device checked = d;
  ApplyDeviceDefaults(&checked);
  for (const FieldProblem& problem : CheckDeviceFields(checked)) {
    // A cell that did not parse is reported once.
    if (!ok && (problem.field == "type" && !type.empty())) continue;
    fail(ColumnOf(problem.field), problem.problem);
    ok = false;
  }
  if (!ok) return std::nullopt;
  return d;
}

v1::Device MergeRow(const v1::Device& row, const DeviceColumns& cols, const v1::Device& existing) {
  v1::Device out = existing;
  auto has = [&](const char* c) { return cols.count(c) > 0; };
  if (has("model")) out.set_model(row.model());
  if (has("manufacturer")) out.set_manufacturer(row.manufacturer());
  if (has("floor")) out.set_floor(row.floor());
  if (has("point")) out.set_point(row.point());
  if (has("facility")) out.set_facility(row.facility());
  if (has("gateway_id")) out.set_gateway_id(row.gateway_id());
  if (has("status") && row.status() != v1::DEVICE_STATUS_UNSPECIFIED) {
    out.set_status(row.status());
  }
  if (has("heartbeat_period_s") && row.has_heartbeat_period()) {
    *out.mutable_heartbeat_period() = row.heartbeat_period();
  }
  return out;
}

}  // namespace firegrid::monitoring
