#pragma once

#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/buildings/store.h"

namespace firegrid::buildings {

// An in-memory Store for unit tests, with the same semantics as the Redis store. The outbox is
// kept as a list that tests read.
class MemoryStore : public Store {
 public:
  absl::Status PutOrgUnit(const v1::OrgUnit& unit) override;
  absl::StatusOr<v1::OrgUnit> GetOrgUnit(const std::string& code) override;
  absl::StatusOr<std::vector<v1::OrgUnit>> ListOrgUnits(const std::string& prefix,
                                                        const std::string& cursor, int limit,
                                                        std::string* next_cursor) override;
  absl::StatusOr<v1::Building> GetBuilding(const std::string& id) override;
  absl::StatusOr<std::string> BuildingForRequest(const std::string& request_id) override;
  absl::Status CreateBuildings(const std::vector<v1::Building>& buildings,
                               const std::vector<std::string>& request_ids,
                               const Outbox& outbox) override;
  absl::Status UpdateBuilding(const v1::Building& previous, const v1::Building& next,
                              const v1::ResponsibilityRecord* record,
                              const Outbox& outbox) override;
  absl::StatusOr<BuildingPage> ScanBuildings(const std::string& prefix, const std::string& cursor,
                                             int limit) override;
  absl::StatusOr<std::vector<v1::ResponsibilityRecord>> GetHistory(
      const std::string& building_id) override;
  absl::Status PutHydrant(const v1::Hydrant& hydrant) override;
  absl::StatusOr<v1::Hydrant> GetHydrant(const std::string& id) override;
  absl::Status PutStation(const v1::MicroStation& station, const Outbox& outbox) override;
  absl::StatusOr<v1::MicroStation> GetStation(const std::string& id) override;
  absl::StatusOr<std::vector<Near>> FindNearby(v1::NearbyKind kind, double latitude,
                                               double longitude, double radius_m,
                                               int limit) override;

  Outbox outbox() const;
  void ClearOutbox();

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, v1::OrgUnit> units_ ABSL_GUARDED_BY(mu_);       // by tier|code
  std::map<std::string, v1::Building> buildings_ ABSL_GUARDED_BY(mu_);  // by id
  std::map<std::string, std::string> index_ ABSL_GUARDED_BY(mu_);       // cursor → id
  std::map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<v1::ResponsibilityRecord>> history_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Hydrant> hydrants_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::MicroStation> stations_ ABSL_GUARDED_BY(mu_);
  Outbox outbox_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::buildings
