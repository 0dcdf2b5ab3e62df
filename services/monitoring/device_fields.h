#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"

namespace firegrid::monitoring {

// The client-settable fields of a device (monitoring.proto): their rules, shared by the RPCs
// and the CSV import.
inline constexpr size_t kMaxModelBytes = 100;
inline constexpr size_t kMaxManufacturerBytes = 100;
inline constexpr size_t kMaxFloorBytes = 16;
inline constexpr size_t kMaxPointBytes = 200;
inline constexpr absl::Duration kMinHeartbeatPeriod = absl::Seconds(30);
inline constexpr absl::Duration kMaxHeartbeatPeriod = absl::Hours(24);
inline constexpr absl::Duration kDefaultHeartbeatPeriod = absl::Minutes(5);

// One bad field: its name in Device ("device_id", "heartbeat_period", ...) and the problem.
struct FieldProblem {
  std::string field;
  std::string problem;
};

// The heartbeat period as a duration.
absl::Duration HeartbeatOf(const v1::Device& d);

// Fills the defaults of unset fields: status INSTALLED, heartbeat period 5 minutes.
void ApplyDeviceDefaults(v1::Device* d);
// Every problem of the client-settable fields (after the defaults): device_id 3–64 of
// [A-Za-z0-9._-]; type and building_id required; model, manufacturer, floor, point at most
// their bytes, no control characters; facility and status known values; heartbeat period 30 s
// to 24 h; gateway_id empty or as device_id. Empty when the device is valid.
std::vector<FieldProblem> CheckDeviceFields(const v1::Device& d);
// The server-owned fields set in `d` (tier_path, building_name, version, created_at,
// updated_at, live), by name.
std::vector<std::string> ServerOwnedFieldsSet(const v1::Device& d);

}  // namespace firegrid::monitoring
