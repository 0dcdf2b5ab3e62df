#pragma once

#include "absl/status/status.h"
#include "firegrid/monitoring/v1/state.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::monitoring {

// Who may do what with a building's devices and alarms (one home for the service's rules):
// - read (devices, alarms, counts): district admin, street officer and community worker under
//   their tier path; department officers of the district (fire rescue and the others see the
//   monitoring of their district); a building manager named by the building; a micro station
//   those of its street or community (devices too, as README.md has it: where an alarm comes
//   from); internal services everything.
// - register / update devices, import: district admin, street officer under their tier; a
//   building manager named by the building; internal services.
// - acknowledge an alarm: everyone who may read it;
// - clear an alarm by hand: district admin, street officer and community worker under their
//   tier, officers of the fire rescue department of the district, internal services (not the
//   building's own manager: the party with the fault does not close it).
// PERMISSION_DENIED naming the role otherwise.
absl::Status MayRead(const auth::Principal& p, const v1::BuildingView& building);
absl::Status MayManageDevices(const auth::Principal& p, const v1::BuildingView& building);
absl::Status MayAcknowledge(const auth::Principal& p, const v1::BuildingView& building);
absl::Status MayClear(const auth::Principal& p, const v1::BuildingView& building);
// Importing devices (ImportDevicesCsv) at all: the roles that may manage some building's devices
// (district admin, street officer, building manager, internal service); each row's building is
// then checked with MayManageDevices. Any other role is PERMISSION_DENIED before the file is
// read, so it learns nothing from the rows (not even which building ids exist).
absl::Status MayImportDevices(const auth::Principal& p);
// Listing under a tier prefix: the prefix must lie within the caller's jurisdiction.
absl::Status MayListTier(const auth::Principal& p, const std::string& tier_prefix);

}  // namespace firegrid::monitoring
