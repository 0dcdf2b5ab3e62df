#pragma once

// The city dataset of issue 12: 50,000 buildings and 1,000,000 hazards in one district, written
// straight through the buildings' and the hazards' store layers (RedisStore, HazardStore) onto
// a Redis — not through Kafka, whose dev broker keeps only ~5 MiB per partition.
//
// The buildings follow the demo loader's Beibei sample (tools/loaders/beibei.h: the district's
// real streets and towns, their communities and villages, uses, heights, chains, facilities,
// fire lanes), scaled up; each is stored as the registry stores it (class and fire-access
// compliance derived by the same functions, responsibility changed over the last 60 days and
// filed, filed late or not). The hazards spread over those buildings with the categories of
// config/hazards_rules.textproto, routed by the same rules (AttachBuilding), in every state of
// the lifecycle with the audit trail each state implies; a few are duplicates. A fixed seed
// always yields the same dataset.
//
// No event is produced: the loads write no outbox entries. That is sound for what the city
// benchmark measures (reads and restarts of buildings and hazards on this data): the hazards
// service's projection of each building, the only state another service would have built from
// the buildings events, is written by its own store layer (HazardStore::PutBuilding) here, and
// no other service runs.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/buildings/redis_store.h"
#include "services/buildings/registry.h"
#include "services/hazards/rules.h"
#include "services/hazards/store.h"

namespace firegrid::bench {

struct CityOptions {
  int buildings = 50000;
  int hazards = 1000000;
  uint64_t seed = 12;
  absl::Time now;                                    // the load's "now": histories end here
  int writers = 4;                                   // concurrent atomic writes
  int batch = 200;                                   // objects per atomic write
  std::function<void(const std::string&)> progress;  // a line now and then
};

struct CityCounts {
  int org_units = 0;
  int buildings = 0;
  int hazards = 0;
  int open_hazards = 0;
  int duplicates = 0;
  std::vector<std::string> streets;      // street / town codes, in order
  std::vector<std::string> communities;  // community / village codes, in order
};

// Org units (through the registry, as the demo loader upserts them) and buildings (RedisStore::
// CreateBuildings in batches, with the ledger counters and the GEO index written with them).
absl::Status LoadCityBuildings(const CityOptions& o, buildings::Registry& registry,
                               buildings::RedisStore& store, CityCounts* counts);

// The hazards service's projection of every building (HazardStore::PutBuilding), then the
// hazards (HazardStore::Write, `batch` per atomic write, counters included).
absl::Status LoadCityHazards(const CityOptions& o, buildings::RedisStore& buildings_store,
                             const hazards::Rules& rules, hazards::HazardStore& store,
                             CityCounts* counts);

}  // namespace firegrid::bench
