#pragma once

#include <string>

#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"
#include "services/buildings/ledger_counters.h"
#include "services/buildings/rules.h"
#include "services/buildings/store.h"

namespace firegrid::buildings {

// The Store on Redis. Keys, under a prefix (default "fg:buildings"):
//   <p>:b:<id>        hash {data: Building bytes, version}
//   <p>:idx:b         sorted set (score 0) of "<tier path>|<id>", scanned by ZRANGEBYLEX
//   <p>:req:<rid>     building id a create with request id <rid> made (kept 30 days)
//   <p>:hist:<id>     list of ResponsibilityRecord bytes, oldest first
//   <p>:ou:<code>     OrgUnit bytes;   <p>:idx:ou  sorted set of "<tier path>|<code>"
//   <p>:hyd:<id>, <p>:mfs:<id>        Hydrant / MicroStation bytes
//   <p>:geo:hyd, <p>:geo:mfs, <p>:geo:b   GEO sets for nearby search (hydrants, stations,
//                     buildings: written with every create and update of a building)
//   <p>:geo:b:built   set once every building stored before <p>:geo:b existed was indexed
//   <p>:agg:...       the ledger counters, written with every create and update
//                     (ledger_counters.h)
//   <p>:outbox        the outbox stream (see libs/events/outbox.h)
// Every write is one redis::AtomicWrite: state, indexes and outbox entries together.
class RedisStore final : public Store {
 public:
  // `rules` give the filing calendar and period the ledger counters count filing states with
  // (the service's own rules).
  RedisStore(redis::Pool* pool, std::string prefix, const Rules& rules = DefaultRules());

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

  // Builds the buildings' GEO set for buildings stored before it existed, once: when
  // <p>:geo:b:built is absent it indexes every building as stored (a building written since the
  // scan read it is skipped: that write indexed it), then sets <p>:geo:b:built. Idempotent, safe
  // while other replicas write, and resumable (a run cut short runs again at the next start).
  // Returns how many buildings it indexed (0 when the set was already built). The service
  // calls it at start-up; deleting <p>:geo:b:built rebuilds it at the next start.
  absl::StatusOr<int> IndexBuildingLocations();

  absl::StatusOr<std::optional<LedgerTally>> CountedLedger(const std::string& tier_path,
                                                           absl::Time now) override;
  absl::StatusOr<std::optional<redis::CounterCheck>> CheckLedgerCounters() override;
  LedgerCounters& ledger_counters() { return ledger_counters_; }

  std::string outbox_key() const { return prefix_ + ":outbox"; }

 private:
  // GEOADD of the building's location (ZREM when it has none) into <p>:geo:b.
  void AddBuildingGeo(const v1::Building& b, redis::AtomicWrite* w) const;
  std::string Key(const std::string& kind, const std::string& id) const {
    return prefix_ + ":" + kind + ":" + id;
  }
  redis::Pool* pool_;
  std::string prefix_;
  LedgerCounters ledger_counters_;
};

}  // namespace firegrid::buildings
