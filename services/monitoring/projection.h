#pragma once

#include "absl/status/status.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "services/monitoring/device_store.h"

namespace firegrid::monitoring {

// What monitoring keeps of the buildings events (consumer group "monitoring" on the buildings
// topic): the building views device registration, scoping and dispatch read, and the micro
// fire stations.

// The view of a registered or updated building: name, address, tier path, location when set,
// version, and the principal subjects its responsibility chain names (responsible person,
// manager, building head; the same rule as hazards' projection).
v1::BuildingView ViewOf(const ::firegrid::buildings::v1::Building& b);

// The view after a responsibility filing: the chain's subjects replace the old ones, the
// version becomes the filing's building version.
v1::BuildingView WithResponsibility(v1::BuildingView v,
                                    const ::firegrid::buildings::v1::ResponsibilityFiled& e);

// Applies one buildings event: BuildingRegistered / BuildingUpdated → PutBuilding (the higher
// version wins, so a redelivered or late event changes nothing), then the building's devices
// are brought in line with the stored view (SyncBuildingDevices); ResponsibilityFiled → the
// stored view with the new subjects (nothing when the building is not known yet: its
// registration carries the chain); MicroStationRegistered → PutStation. Other events are
// ignored. INVALID_ARGUMENT for a payload that does not decode (dead-letter it); store errors
// as they come (retry: every step is idempotent). `ids` makes the event ids of DeviceUpdated
// (default: random).
absl::Status HandleBuildingsEvent(const events::Envelope& envelope, DeviceStore* store,
                                  IdGenerator* ids = nullptr);

// The devices of `view`'s building whose copy of its tier path or name differs from the view
// get them (their tier indexes move with the tier path), each in a versioned write with a
// DeviceUpdated event at `now`. Nothing when all agree, so a redelivered event writes nothing.
absl::Status SyncBuildingDevices(const v1::BuildingView& view, absl::Time now, DeviceStore* store,
                                 IdGenerator& ids);

}  // namespace firegrid::monitoring
