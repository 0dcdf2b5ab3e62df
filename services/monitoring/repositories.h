#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"

namespace firegrid::monitoring {

struct StoredState;
struct DeviceCommit;
struct CommitResult;

// What the ingest pipeline needs of the stores, as interfaces so that it is tested with
// in-memory fakes. DeviceStore implements DeviceDirectory and AlarmStore StateRepository.

class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;
  virtual absl::StatusOr<std::vector<std::optional<v1::Device>>> GetMany(
      const std::vector<std::string>& device_ids) = 0;
  virtual absl::StatusOr<v1::BuildingView> GetBuilding(const std::string& building_id) = 0;
  virtual absl::StatusOr<std::vector<v1::StationRef>> NearestStations(
      const ::firegrid::buildings::v1::GeoPoint& at, double radius_m, int count) = 0;
};

class StateRepository {
 public:
  virtual ~StateRepository() = default;
  virtual absl::StatusOr<std::vector<StoredState>> LoadStates(
      const std::vector<std::string>& device_ids) = 0;
  virtual absl::StatusOr<CommitResult> Commit(const DeviceCommit& commit) = 0;
  virtual absl::Status RecordSeen(
      const std::vector<std::pair<std::string, absl::Time>>& deadlines) = 0;
  virtual absl::StatusOr<std::vector<std::string>> OfflineDue(absl::Time now, int limit) = 0;
  virtual absl::Status Unwatch(const std::string& device_id) = 0;
};

}  // namespace firegrid::monitoring
