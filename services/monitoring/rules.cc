#include "services/monitoring/rules.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/common/status.h"

namespace firegrid::monitoring {

namespace cfg = ::firegrid::config::v1;

namespace {

absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool Negative(const google::protobuf::Duration& d) { return DurationOf(d) < absl::ZeroDuration(); }

bool IsSlug(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

absl::Status CheckFiling(const std::string& f, const cfg::HazardFiling& h) {
  if (h.category() == hazards::v1::HAZARD_CATEGORY_UNSPECIFIED) {
    return InvalidField(f + ".hazard.category", "required");
  }
  if (h.severity() == hazards::v1::SEVERITY_UNSPECIFIED) {
    return InvalidField(f + ".hazard.severity", "required");
  }
  if (Negative(h.after())) return InvalidField(f + ".hazard.after", "must not be negative");
  if (h.description().empty()) return InvalidField(f + ".hazard.description", "required");
  return absl::OkStatus();
}

// Common checks of a rule; `types` are the device types it applies to (empty: all).
absl::Status CheckCommon(const std::string& f, const std::string& id, v1::AlarmType type,
                         v1::AlarmSeverity severity, const std::string& source,
                         std::set<std::string>* ids) {
  if (id.empty()) return InvalidField(f + ".id", "required");
  if (!ids->insert(id).second) return InvalidField(f + ".id", absl::StrCat("duplicate: ", id));
  if (type == v1::ALARM_TYPE_UNSPECIFIED) return InvalidField(f + ".alarm_type", "required");
  if (severity == v1::ALARM_SEVERITY_UNSPECIFIED) return InvalidField(f + ".severity", "required");
  if (source.empty()) return InvalidField(f + ".source", "required: the legal or technical source");
  return absl::OkStatus();
}

// No two rules that apply to one device type may raise the same alarm type (an alarm is one
// per device and type). `claimed` maps (device type, alarm type) to the rule that has it.
absl::Status Claim(const std::string& f, const std::string& id,
                   const google::protobuf::RepeatedField<int>& device_types, v1::AlarmType type,
                   std::map<std::pair<int, int>, std::string>* claimed) {
  std::vector<int> types(device_types.begin(), device_types.end());
  if (types.empty()) {
    for (int t = v1::DeviceType_MIN; t <= v1::DeviceType_MAX; ++t) {
      if (t != v1::DEVICE_TYPE_UNSPECIFIED && v1::DeviceType_IsValid(t)) types.push_back(t);
    }
  }
  for (int t : types) {
    if (t == v1::DEVICE_TYPE_UNSPECIFIED) {
      return InvalidField(f + ".device_types", "DEVICE_TYPE_UNSPECIFIED is not a device type");
    }
    auto [it, inserted] = claimed->emplace(std::make_pair(t, static_cast<int>(type)), id);
    if (!inserted) {
      return InvalidField(f + ".alarm_type",
                          absl::StrCat(v1::AlarmType_Name(type), " for ", v1::DeviceType_Name(t),
                                       " is already raised by rule ", it->second));
    }
  }
  return absl::OkStatus();
}

bool AppliesTo(const google::protobuf::RepeatedField<int>& types, v1::DeviceType type) {
  if (types.empty()) return true;
  for (int t : types) {
    if (t == type) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Rules> Rules::FromProto(cfg::MonitoringRules proto) {
  if (proto.version().empty()) return InvalidField("version", "required");
  if (DurationOf(proto.max_clock_skew()) <= absl::ZeroDuration()) {
    return InvalidField("max_clock_skew", "must be positive");
  }
  std::set<std::string> ids;
  std::map<std::pair<int, int>, std::string> claimed;
  for (int i = 0; i < proto.state_bit_rules_size(); ++i) {
    const cfg::StateBitRule& r = proto.state_bit_rules(i);
    const std::string f = absl::StrCat("state_bit_rules[", i, "]");
    FG_RETURN_IF_ERROR(CheckCommon(f, r.id(), r.alarm_type(), r.severity(), r.source(), &ids));
    if (r.bit() == cfg::STATE_BIT_UNSPECIFIED) return InvalidField(f + ".bit", "required");
    if (r.alarm_type() == v1::ALARM_TYPE_OFFLINE) {
      return InvalidField(f + ".alarm_type", "ALARM_TYPE_OFFLINE belongs to the offline rule");
    }
    if (Negative(r.duration())) return InvalidField(f + ".duration", "must not be negative");
    if (r.has_hazard()) FG_RETURN_IF_ERROR(CheckFiling(f, r.hazard()));
    FG_RETURN_IF_ERROR(Claim(f, r.id(), r.device_types(), r.alarm_type(), &claimed));
  }
  for (int i = 0; i < proto.analog_rules_size(); ++i) {
    const cfg::AnalogRule& r = proto.analog_rules(i);
    const std::string f = absl::StrCat("analog_rules[", i, "]");
    FG_RETURN_IF_ERROR(CheckCommon(f, r.id(), r.alarm_type(), r.severity(), r.source(), &ids));
    if (r.quantity() == v1::QUANTITY_UNSPECIFIED) return InvalidField(f + ".quantity", "required");
    if (r.direction() == cfg::DIRECTION_UNSPECIFIED) {
      return InvalidField(f + ".direction", "required");
    }
    if (!std::isfinite(r.limit())) return InvalidField(f + ".limit", "must be a finite number");
    if (!std::isfinite(r.hysteresis()) || r.hysteresis() < 0) {
      return InvalidField(f + ".hysteresis", "must be a finite number >= 0");
    }
    if (r.alarm_type() == v1::ALARM_TYPE_OFFLINE) {
      return InvalidField(f + ".alarm_type", "ALARM_TYPE_OFFLINE belongs to the offline rule");
    }
    if (Negative(r.duration())) return InvalidField(f + ".duration", "must not be negative");
    if (r.has_hazard()) FG_RETURN_IF_ERROR(CheckFiling(f, r.hazard()));
    FG_RETURN_IF_ERROR(Claim(f, r.id(), r.device_types(), r.alarm_type(), &claimed));
  }
  if (!proto.has_offline()) return InvalidField("offline", "required");
  {
    const cfg::OfflineRule& r = proto.offline();
    FG_RETURN_IF_ERROR(
        CheckCommon("offline", r.id(), v1::ALARM_TYPE_OFFLINE, r.severity(), r.source(), &ids));
    if (r.missed_periods() < 1) return InvalidField("offline.missed_periods", "must be >= 1");
    if (r.has_hazard()) FG_RETURN_IF_ERROR(CheckFiling("offline", r.hazard()));
  }
  if (!proto.has_dispatch()) return InvalidField("dispatch", "required");
  {
    const cfg::DispatchRule& d = proto.dispatch();
    if (d.nearest_stations() < 1) return InvalidField("dispatch.nearest_stations", "must be >= 1");
    if (!(d.radius_m() > 0) || !std::isfinite(d.radius_m())) {
      return InvalidField("dispatch.radius_m", "must be a positive number of metres");
    }
    if (!IsSlug(d.fire_rescue_department())) {
      return InvalidField("dispatch.fire_rescue_department", "must be a department slug");
    }
    if (d.source().empty()) return InvalidField("dispatch.source", "required");
  }
  return Rules(std::move(proto));
}

absl::StatusOr<Rules> Rules::FromText(const std::string& text) {
  cfg::MonitoringRules proto;
  if (!google::protobuf::TextFormat::ParseFromString(text, &proto)) {
    return absl::InvalidArgumentError("monitoring rules: not a valid MonitoringRules text proto");
  }
  return FromProto(std::move(proto));
}

absl::StatusOr<Rules> Rules::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read rules file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<Rules> rules = FromText(ss.str());
  if (!rules.ok()) {
    return absl::Status(rules.status().code(), absl::StrCat(path, ": ", rules.status().message()));
  }
  return rules;
}

std::vector<const cfg::StateBitRule*> Rules::StateBitRulesFor(v1::DeviceType type) const {
  std::vector<const cfg::StateBitRule*> out;
  for (const cfg::StateBitRule& r : proto_.state_bit_rules()) {
    if (AppliesTo(r.device_types(), type)) out.push_back(&r);
  }
  return out;
}

std::vector<const cfg::AnalogRule*> Rules::AnalogRulesFor(v1::DeviceType type) const {
  std::vector<const cfg::AnalogRule*> out;
  for (const cfg::AnalogRule& r : proto_.analog_rules()) {
    if (AppliesTo(r.device_types(), type)) out.push_back(&r);
  }
  return out;
}

const cfg::HazardFiling* Rules::HazardFilingOf(const std::string& rule_id) const {
  for (const cfg::StateBitRule& r : proto_.state_bit_rules()) {
    if (r.id() == rule_id) return r.has_hazard() ? &r.hazard() : nullptr;
  }
  for (const cfg::AnalogRule& r : proto_.analog_rules()) {
    if (r.id() == rule_id) return r.has_hazard() ? &r.hazard() : nullptr;
  }
  if (proto_.offline().id() == rule_id && proto_.offline().has_hazard()) {
    return &proto_.offline().hazard();
  }
  return nullptr;
}

bool Rules::Dispatches(const std::string& rule_id) const {
  for (const cfg::StateBitRule& r : proto_.state_bit_rules()) {
    if (r.id() == rule_id) return r.dispatch();
  }
  for (const cfg::AnalogRule& r : proto_.analog_rules()) {
    if (r.id() == rule_id) return r.dispatch();
  }
  return false;
}

bool Rules::Latching(const std::string& rule_id) const {
  for (const cfg::StateBitRule& r : proto_.state_bit_rules()) {
    if (r.id() == rule_id) return r.latching();
  }
  return false;
}

absl::Duration Rules::max_clock_skew() const { return DurationOf(proto_.max_clock_skew()); }

}  // namespace firegrid::monitoring
