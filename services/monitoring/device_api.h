#pragma once

#include "absl/status/statusor.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/repositories.h"

namespace firegrid::monitoring {

// The device RPCs: validation (INVALID_ARGUMENT naming the field), authorisation (access.h),
// the registry writes with their events. Registering on a building the projection does not
// know is NOT_FOUND. Decommissioning clears the device's active alarms (Engine::OnDecommission
// committed through the AlarmStore) in the same call.
class DeviceApi {
 public:
  DeviceApi(DeviceStore* devices, StateRepository* states, const Engine* engine, Clock* clock,
            IdGenerator* ids);

  absl::StatusOr<v1::Device> Register(const auth::Principal& p, const v1::RegisterDeviceRequest& r);
  absl::StatusOr<v1::Device> Update(const auth::Principal& p, const v1::UpdateDeviceRequest& r);
  absl::StatusOr<v1::Device> Get(const auth::Principal& p, const v1::GetDeviceRequest& r);
  absl::StatusOr<v1::ListDevicesResponse> List(const auth::Principal& p,
                                               const v1::ListDevicesRequest& r);
  // All rows validated first; nothing written when any row fails (the errors say where).
  absl::StatusOr<v1::ImportDevicesCsvResponse> ImportCsv(const auth::Principal& p,
                                                         const v1::ImportDevicesCsvRequest& r);

 private:
  DeviceStore* devices_;
  StateRepository* states_;
  const Engine* engine_;
  Clock* clock_;
  IdGenerator* ids_;
};

}  // namespace firegrid::monitoring
