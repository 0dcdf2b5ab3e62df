#include "tools/devicesim/fleet.h"

#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace firegrid::devicesim {
namespace {

namespace bv1 = ::firegrid::buildings::v1;

constexpr absl::string_view kTypePrefix = "DEVICE_TYPE_";

bool ValidId(absl::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string DeviceTypeName(mv1::DeviceType type) {
  absl::string_view name = mv1::DeviceType_Name(type);
  absl::ConsumePrefix(&name, kTypePrefix);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<mv1::DeviceType> ParseDeviceType(absl::string_view name) {
  mv1::DeviceType type;
  std::string upper = absl::AsciiStrToUpper(name);
  if (!absl::StartsWith(upper, kTypePrefix)) upper = absl::StrCat(kTypePrefix, upper);
  if (!mv1::DeviceType_Parse(upper, &type) || type == mv1::DEVICE_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("unknown device type \"", name, "\""));
  }
  return type;
}

std::vector<SimDevice> DemoFleet(int buildings) {
  std::vector<SimDevice> fleet;
  for (int b = 1; b <= buildings; ++b) {
    char tag[16], rid[32], gw[16];
    std::snprintf(tag, sizeof(tag), "bb%04d", b);
    std::snprintf(rid, sizeof(rid), "demo-beibei-%04d", b);
    std::snprintf(gw, sizeof(gw), "gw-bb-%04d", b);
    auto add = [&](absl::string_view suffix, mv1::DeviceType type, bool via_gateway,
                   absl::Duration period, absl::string_view floor, absl::string_view point,
                   absl::string_view model, absl::string_view manufacturer,
                   bv1::FacilityKind facility) {
      SimDevice d;
      d.device_id = absl::StrCat(tag, "-", suffix);
      d.type = type;
      d.gateway_id = via_gateway ? gw : "";
      d.heartbeat_period = period;
      d.building_request_id = rid;
      d.floor = std::string(floor);
      d.point = std::string(point);
      d.model = std::string(model);
      d.manufacturer = std::string(manufacturer);
      d.facility = facility;
      fleet.push_back(std::move(d));
    };
    add("fap", mv1::DEVICE_TYPE_FIRE_ALARM_PANEL, true, absl::Seconds(30), "1", "消防控制室",
        "JB-QB-GST200", "海湾安全技术", bv1::FACILITY_KIND_FIRE_ALARM);
    add("hyd", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, true, absl::Seconds(60), "B1",
        "消防泵房 消火栓环网出水管", "PT-300", "中消云", bv1::FACILITY_KIND_INDOOR_HYDRANT);
    add("spr", mv1::DEVICE_TYPE_SPRINKLER_PRESSURE, true, absl::Seconds(60), "B1",
        "消防泵房 喷淋报警阀组", "PT-300", "中消云", bv1::FACILITY_KIND_SPRINKLER);
    add("tank", mv1::DEVICE_TYPE_WATER_TANK_LEVEL, true, absl::Seconds(60), "RF", "屋顶消防水箱",
        "LT-50", "中消云", bv1::FACILITY_KIND_INDOOR_HYDRANT);
    add("elec", mv1::DEVICE_TYPE_ELECTRICAL_FIRE_MONITOR, true, absl::Seconds(60), "1",
        "配电室 总进线柜", "ARCM300", "安科瑞", bv1::FACILITY_KIND_ELECTRICAL_MONITORING);
    add("smoke", mv1::DEVICE_TYPE_SMOKE_DETECTOR, false, absl::Seconds(60), "2", "物业办公室",
        "JTY-GD-NB01", "泰和安", bv1::FACILITY_KIND_FIRE_ALARM);
    add("gas", mv1::DEVICE_TYPE_GAS_DETECTOR, false, absl::Seconds(60), "1", "底商餐饮厨房",
        "JT-AEC2232", "汉威", bv1::FACILITY_KIND_UNSPECIFIED);
  }
  return fleet;
}

absl::StatusOr<std::vector<SimDevice>> ParseFleet(absl::string_view text) {
  std::vector<SimDevice> fleet;
  std::set<std::string> ids;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || absl::StartsWith(line, "device_id")) continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("fleet line ", line_number, ": ", what));
    };
    if (f.size() != 4) return error("want device_id,type,gateway_id,heartbeat_seconds");
    for (std::string& s : f) s = std::string(absl::StripAsciiWhitespace(s));
    SimDevice d;
    d.device_id = f[0];
    if (!ValidId(d.device_id)) return error(absl::StrCat("bad device_id \"", f[0], "\""));
    if (!ids.insert(d.device_id).second) return error(absl::StrCat("duplicate ", f[0]));
    absl::StatusOr<mv1::DeviceType> type = ParseDeviceType(f[1]);
    if (!type.ok()) return error(type.status().message());
    d.type = *type;
    d.gateway_id = f[2];
    if (!d.gateway_id.empty() && !ValidId(d.gateway_id)) {
      return error(absl::StrCat("bad gateway_id \"", f[2], "\""));
    }
    int seconds = 0;
    if (!absl::SimpleAtoi(f[3], &seconds) || seconds < 1 || seconds > 86400) {
      return error(absl::StrCat("bad heartbeat_seconds \"", f[3], "\" (1 to 86400)"));
    }
    d.heartbeat_period = absl::Seconds(seconds);
    fleet.push_back(std::move(d));
  }
  if (fleet.empty()) return absl::InvalidArgumentError("the fleet has no device");
  return fleet;
}

std::string ClientsOf(const std::vector<SimDevice>& fleet) {
  std::string out;
  std::set<std::string> gateways;
  for (const SimDevice& d : fleet) {
    if (d.gateway_id.empty()) {
      absl::StrAppend(&out, "device ", d.device_id, "\n");
    } else if (gateways.insert(d.gateway_id).second) {
      absl::StrAppend(&out, "gateway ", d.gateway_id, "\n");
    }
  }
  return out;
}

}  // namespace firegrid::devicesim
