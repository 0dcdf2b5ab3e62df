#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"
#include "libs/redis/pool.h"
#include "services/monitoring/repositories.h"

namespace firegrid::monitoring {

// The device registry and the buildings projection in Redis (prefix default "fg:monitoring"):
//   <p>:dev:<device id>        hash {data: Device (registry fields + server-owned), ver}
//                              (the same hash holds the handled state: AlarmStore's st, sver)
//   <p>:devs:b:<building id>   set of the building's device ids
//   <p>:devs:t:<tier>          sorted sets (lex) of device ids under the district, street and
//                              community of the building, for listing by scope
//   <p>:bld:<building id>      BuildingView bytes (the buildings projection; a write keeps the
//                              higher version, compare-and-set on the bytes read)
//   <p>:stations               GEO set of micro stations (member: station id)
//   <p>:station:<station id>   MicroStation bytes
// Writes of the registry are atomic with their outbox event (DeviceRegistered/DeviceUpdated).
class DeviceStore final : public DeviceDirectory {
 public:
  DeviceStore(redis::Pool* pool, std::string prefix, std::string outbox_key);

  // NOT_FOUND when unknown.
  absl::StatusOr<v1::Device> Get(const std::string& device_id);
  // Many devices in one round trip; a missing one is nullopt at its position.
  absl::StatusOr<std::vector<std::optional<v1::Device>>> GetMany(
      const std::vector<std::string>& device_ids) override;

  // Writes a new device (ALREADY_EXISTS when the id is taken) or an update at the device's
  // version (ABORTED when it moved), with `event` (a serialized Envelope) on the outbox (topic
  // kMonitoringTopic, key the building id). The store stamps the version (1 on create,
  // expected_version + 1 on update); the caller puts the same in the event's device. `live` is
  // never stored. The device's building cannot change (INVALID_ARGUMENT device.building_id);
  // when its tier path changes (its building moved; see projection.h) the tier indexes move.
  absl::Status Create(const v1::Device& device, const std::string& event);
  absl::Status Update(const v1::Device& device, int64_t expected_version, const std::string& event);

  // Devices of a building, or under a tier-path prefix (6, 9 or 12 digits), in id order after
  // `after` (exclusive), at most `limit`.
  absl::StatusOr<std::vector<v1::Device>> ListByBuilding(const std::string& building_id,
                                                         const std::string& after, int limit);
  absl::StatusOr<std::vector<v1::Device>> ListByTier(const std::string& tier_prefix,
                                                     const std::string& after, int limit);

  // The buildings projection. NOT_FOUND when the building is unknown (never registered, or
  // its event has not arrived yet).
  absl::StatusOr<v1::BuildingView> GetBuilding(const std::string& building_id) override;
  // Keeps `view` unless the stored one has a higher version.
  absl::Status PutBuilding(const v1::BuildingView& view);
  absl::Status PutStation(const ::firegrid::buildings::v1::MicroStation& station);
  // The nearest stations to `at` within `radius_m`, nearest first, at most `count`.
  absl::StatusOr<std::vector<v1::StationRef>> NearestStations(
      const ::firegrid::buildings::v1::GeoPoint& at, double radius_m, int count) override;

  // The offline deadlines the ingest keeps (AlarmStore's <prefix>:seen sorted set), for the
  // devices' live state: nullopt for a device not watched (never heard from, or marked
  // offline, or decommissioned).
  absl::StatusOr<std::vector<std::optional<absl::Time>>> SeenDeadlines(
      const std::vector<std::string>& device_ids);

  const std::string& prefix() const { return prefix_; }
  std::string DeviceKey(const std::string& device_id) const;

 private:
  std::string BuildingDevicesKey(const std::string& building_id) const;
  std::string TierDevicesKey(const std::string& tier) const;
  std::string BuildingKey(const std::string& building_id) const;
  std::string StationsKey() const;
  std::string StationKey(const std::string& station_id) const;
  // The registered ones of `ids`, in order (missing ones skipped).
  absl::StatusOr<std::vector<v1::Device>> Fetch(const std::vector<std::string>& ids);

  redis::Pool* pool_;
  std::string prefix_;
  std::string outbox_key_;
};

}  // namespace firegrid::monitoring
