#include "services/monitoring/device_fields.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace firegrid::monitoring {
namespace {

bool ValidIdChars(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool ValidId(absl::string_view s) { return s.size() >= 3 && s.size() <= 64 && ValidIdChars(s); }

void CheckText(absl::string_view field, const std::string& value, size_t max,
               std::vector<FieldProblem>* out) {
  if (value.size() > max) {
    out->push_back({std::string(field), absl::StrCat("at most ", max, " bytes")});
    return;
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      out->push_back({std::string(field), "must not hold control characters"});
      return;
    }
  }
}

}  // namespace

absl::Duration HeartbeatOf(const v1::Device& d) {
  return absl::Seconds(d.heartbeat_period().seconds()) +
         absl::Nanoseconds(d.heartbeat_period().nanos());
}

void ApplyDeviceDefaults(v1::Device* d) {
  if (d->status() == v1::DEVICE_STATUS_UNSPECIFIED) d->set_status(v1::DEVICE_STATUS_INSTALLED);
  if (!d->has_heartbeat_period()) {
    d->mutable_heartbeat_period()->set_seconds(absl::ToInt64Seconds(kDefaultHeartbeatPeriod));
  }
}

std::vector<FieldProblem> CheckDeviceFields(const v1::Device& d) {
  std::vector<FieldProblem> out;
  if (d.device_id().empty()) {
    out.push_back({"device_id", "required"});
  } else if (!ValidId(d.device_id())) {
    out.push_back({"device_id", "3 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"});
  }
  if (d.type() == v1::DEVICE_TYPE_UNSPECIFIED) {
    out.push_back({"type", "required"});
  } else if (!v1::DeviceType_IsValid(d.type())) {
    out.push_back({"type", "unknown device type"});
  }
  if (d.building_id().empty()) out.push_back({"building_id", "required"});
  CheckText("model", d.model(), kMaxModelBytes, &out);
  CheckText("manufacturer", d.manufacturer(), kMaxManufacturerBytes, &out);
  CheckText("floor", d.floor(), kMaxFloorBytes, &out);
  CheckText("point", d.point(), kMaxPointBytes, &out);
  if (!::firegrid::buildings::v1::FacilityKind_IsValid(d.facility())) {
    out.push_back({"facility", "unknown facility kind"});
  }
  if (d.status() == v1::DEVICE_STATUS_UNSPECIFIED || !v1::DeviceStatus_IsValid(d.status())) {
    out.push_back({"status", "unknown device status"});
  }
  const absl::Duration hb = HeartbeatOf(d);
  if (d.heartbeat_period().nanos() < 0 || hb < kMinHeartbeatPeriod || hb > kMaxHeartbeatPeriod) {
    out.push_back({"heartbeat_period", "from 30 s to 24 h"});
  }
  if (!d.gateway_id().empty() && !ValidId(d.gateway_id())) {
    out.push_back(
        {"gateway_id", "empty, or 3 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"});
  }
  return out;
}

std::vector<std::string> ServerOwnedFieldsSet(const v1::Device& d) {
  std::vector<std::string> out;
  if (!d.tier_path().empty()) out.push_back("tier_path");
  if (!d.building_name().empty()) out.push_back("building_name");
  if (d.version() != 0) out.push_back("version");
  if (d.has_created_at()) out.push_back("created_at");
  if (d.has_updated_at()) out.push_back("updated_at");
  if (d.has_live()) out.push_back("live");
  return out;
}

}  // namespace firegrid::monitoring
