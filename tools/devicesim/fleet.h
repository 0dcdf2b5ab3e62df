#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"

namespace firegrid::devicesim {

namespace mv1 = ::firegrid::monitoring::v1;

// One simulated device: what the simulator needs to play it, and (for the demo fleet) what the
// demo loader registers.
struct SimDevice {
  std::string device_id;
  mv1::DeviceType type = mv1::DEVICE_TYPE_UNSPECIFIED;
  // Empty: the device publishes itself on fg/v1/d/<device_id>/signal; else through the
  // gateway's fg/v1/g/<gateway_id>/signals.
  std::string gateway_id;
  absl::Duration heartbeat_period = absl::Minutes(5);
  // Demo fleet only: the demo building ("demo-beibei-0001", tools/loaders) and where in it.
  std::string building_request_id;
  std::string floor;
  std::string point;
  std::string model;
  std::string manufacturer;
  buildings::v1::FacilityKind facility = buildings::v1::FACILITY_KIND_UNSPECIFIED;
};

// The demo fleet: for each of the first `buildings` demo buildings a gateway ("gw-bb-0001")
// behind which report a fire alarm control panel, hydrant and sprinkler pipe pressure, the
// water tank level and an electrical fire monitor; an independent smoke detector and a
// combustible gas detector (NB-IoT style) publish themselves. Heartbeats every 30 s or 60 s.
// Deterministic: the loader registers and the simulator plays the same devices.
std::vector<SimDevice> DemoFleet(int buildings = 12);

// The device of the demo fleet the run command keeps at a lasting low pressure, and the one
// whose fire alarm it shows.
inline constexpr char kDemoLowPressureDevice[] = "bb0002-hyd";
inline constexpr char kDemoFireAlarmDevice[] = "bb0001-fap";

// A fleet file: one device a line, "device_id,type,gateway_id,heartbeat_seconds" (gateway_id
// may be empty; type is the DeviceType name without its prefix, in any case, e.g.
// hydrant_pressure). Blank lines, lines starting with '#' and a header line starting with
// "device_id" are skipped. INVALID_ARGUMENT names the line.
absl::StatusOr<std::vector<SimDevice>> ParseFleet(absl::string_view text);

// The MQTT clients of a fleet, one a line: "gateway <id>" for each gateway, "device <id>" for
// each device without one; the input of deploy/mqtt-credentials.sh --clients-file.
std::string ClientsOf(const std::vector<SimDevice>& fleet);

// DEVICE_TYPE_HYDRANT_PRESSURE <-> "hydrant_pressure".
std::string DeviceTypeName(mv1::DeviceType type);
absl::StatusOr<mv1::DeviceType> ParseDeviceType(absl::string_view name);

}  // namespace firegrid::devicesim
