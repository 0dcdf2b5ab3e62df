#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/events/producer.h"
#include "libs/redis/counters.h"

namespace firegrid::buildings {


// The events a write publishes, as outbox messages (topic, key, serialized envelope).
using Outbox = std::vector<events::Message>;

struct BuildingPage {
  std::vector<v1::Building> buildings;
  // Position after the last building scanned; empty when the scan reached the end.
  std::string next_cursor;
};

// A division's ledger figures from maintained counters: figure (a LedgerCounts count field's
// name) → count, for the division and per community (the ledger's rows).
struct LedgerTally {
  std::map<std::string, int64_t> totals;
  std::map<std::string, std::map<std::string, int64_t>> rows;
};

// Persistence of the buildings service. Every write is atomic: the state change, its indexes and
// its outbox events are written together or not at all.
class Store {
 public:
  virtual ~Store() = default;

  virtual absl::Status PutOrgUnit(const v1::OrgUnit& unit) = 0;
  virtual absl::StatusOr<v1::OrgUnit> GetOrgUnit(const std::string& code) = 0;  // NOT_FOUND
  // Units whose tier path starts with `prefix`, ordered by (tier path, code), after `cursor`.
  virtual absl::StatusOr<std::vector<v1::OrgUnit>> ListOrgUnits(const std::string& prefix,
                                                                const std::string& cursor,
                                                                int limit,
                                                                std::string* next_cursor) = 0;

  virtual absl::StatusOr<v1::Building> GetBuilding(const std::string& id) = 0;  // NOT_FOUND
  // The id of the building a create with this request id made, or NOT_FOUND.
  virtual absl::StatusOr<std::string> BuildingForRequest(const std::string& request_id) = 0;
  // Creates buildings (all or none). ALREADY_EXISTS when a request id was already used.
  // `request_ids` is empty or parallel to `buildings` (empty strings for none).
  virtual absl::Status CreateBuildings(const std::vector<v1::Building>& buildings,
                                       const std::vector<std::string>& request_ids,
                                       const Outbox& outbox) = 0;
  // Replaces `previous` by `next` if the stored version is still previous.version() (ABORTED
  // otherwise), appending `record` to the responsibility history when given.
  virtual absl::Status UpdateBuilding(const v1::Building& previous, const v1::Building& next,
                                      const v1::ResponsibilityRecord* record,
                                      const Outbox& outbox) = 0;
  // Buildings whose tier path starts with `prefix` in (tier path, id) order, after `cursor`.
  virtual absl::StatusOr<BuildingPage> ScanBuildings(const std::string& prefix,
                                                     const std::string& cursor, int limit) = 0;
  virtual absl::StatusOr<std::vector<v1::ResponsibilityRecord>> GetHistory(
      const std::string& building_id) = 0;

  virtual absl::Status PutHydrant(const v1::Hydrant& hydrant) = 0;
  virtual absl::StatusOr<v1::Hydrant> GetHydrant(const std::string& id) = 0;
  // Stores the station with its outbox events (MicroStationRegistered) in one write.
  virtual absl::Status PutStation(const v1::MicroStation& station, const Outbox& outbox) = 0;
  virtual absl::StatusOr<v1::MicroStation> GetStation(const std::string& id) = 0;

  // The ledger figures of `tier_path` at `now` from counters kept with every write, or nullopt
  // when the store keeps none (yet): the caller counts by a scan then.
  virtual absl::StatusOr<std::optional<LedgerTally>> CountedLedger(const std::string& tier_path,
                                                                   absl::Time now) {
    return std::nullopt;
  }

  // The ledger counters compared with a recount of every building, writing nothing
  // (LedgerCounters::Check), or nullopt when the store keeps none.
  virtual absl::StatusOr<std::optional<redis::CounterCheck>> CheckLedgerCounters() {
    return std::nullopt;
  }

  struct Near {
    std::string id;
    double distance_m = 0;
  };
  // Ids of `kind` (hydrants, stations, buildings with a location) within radius of the point,
  // nearest first. Buildings are indexed with every create and update.
  virtual absl::StatusOr<std::vector<Near>> FindNearby(v1::NearbyKind kind, double latitude,
                                                       double longitude, double radius_m,
                                                       int limit) = 0;
};

// The cursor of a building in scan order.
inline std::string BuildingCursor(const v1::Building& b) {
  return b.tier_path() + "|" + b.building_id();
}

}  // namespace firegrid::buildings
