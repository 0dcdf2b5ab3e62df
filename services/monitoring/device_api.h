#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/device_fields.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/repositories.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// The device RPCs: validation (INVALID_ARGUMENT naming the field), authorisation (access.h),
// the registry writes with their events (DeviceRegistered / DeviceUpdated, producer
// "monitoring"). Registering on a building the projection does not know is NOT_FOUND.
// Decommissioning (status → DECOMMISSIONED) clears the device's active alarms
// (Engine::OnDecommission committed through the StateRepository) before the registry write, and
// takes the device off the offline watch; a decommission repeated after a failure clears what
// is left.
//
// Get and List show the live state: the handled state (StateRepository::LoadStates) and, from
// the offline deadline the ingest keeps (AlarmStore's <prefix>:seen, read through
// DeviceStore::SeenDeadlines), online (deadline ahead and not marked offline) and last_seen
// (deadline − missed_periods × heartbeat period, when `rules` is given).
class DeviceApi {
 public:
  // `engine` may be null where no decommission happens (tests); `rules` gives the offline
  // rule's missed periods for last_seen (null: Get shows no last_seen).
  DeviceApi(DeviceStore* devices, StateRepository* states, const Engine* engine, Clock* clock,
            IdGenerator* ids, const Rules* rules);

  absl::StatusOr<v1::Device> Register(const auth::Principal& p, const v1::RegisterDeviceRequest& r);
  absl::StatusOr<v1::Device> Update(const auth::Principal& p, const v1::UpdateDeviceRequest& r);
  absl::StatusOr<v1::Device> Get(const auth::Principal& p, const v1::GetDeviceRequest& r);
  absl::StatusOr<v1::ListDevicesResponse> List(const auth::Principal& p,
                                               const v1::ListDevicesRequest& r);
  // All rows validated first; nothing written when any row fails (the errors say where).
  // (device_import.cc; the format: docs/device-import.md.)
  absl::StatusOr<v1::ImportDevicesCsvResponse> ImportCsv(const auth::Principal& p,
                                                         const v1::ImportDevicesCsvRequest& r);

 private:
  // The building's view for authorisation; for a device whose building the projection lost,
  // a view of the device's own building id and tier path (no subjects).
  absl::StatusOr<v1::BuildingView> BuildingOf(const v1::Device& d);
  // Commits Engine::OnDecommission's clears for `d` (retrying when another writer moved the
  // state) and takes it off the offline watch.
  absl::Status ClearAlarmsOf(const auth::Principal& p, const v1::Device& d,
                             const v1::BuildingView& building, absl::Time now);
  absl::Status FillLive(std::vector<v1::Device>* devices, absl::Time now);
  // Writes a new device with its DeviceRegistered event (the device as stored: version 1).
  absl::StatusOr<v1::Device> CreateDevice(v1::Device d, const v1::BuildingView& building,
                                          absl::Time now);
  // Writes `after` over `before` (at before's version) with its DeviceUpdated event, after the
  // clears of a decommission.
  absl::StatusOr<v1::Device> WriteUpdate(const auth::Principal& p, const v1::Device& before,
                                         v1::Device after, const v1::BuildingView& building,
                                         absl::Time now);

  DeviceStore* devices_;
  StateRepository* states_;
  const Engine* engine_;
  Clock* clock_;
  IdGenerator* ids_;
  const Rules* rules_;
};

}  // namespace firegrid::monitoring
