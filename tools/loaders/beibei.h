#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firegrid/buildings/v1/buildings.pb.h"

namespace firegrid::loaders {

namespace bv1 = ::firegrid::buildings::v1;

// One FileResponsibility call the loader makes for a building, in order.
struct ChainStep {
  bv1::ResponsibilityChain chain;
  // When set, the step files the chain with the street: document number "<prefix><seq>号"
  // and filed_at = the load time (a filing may not predate the change it covers).
  std::optional<int> filing_sequence;
};

struct PlannedBuilding {
  std::string request_id;   // CreateBuilding idempotency key, "demo-beibei-0001"
  bv1::Building building;   // client-settable fields only
  std::string street_name;  // for filing document numbers
  // 0 steps: no chain (filing MISSING); 1 step filed (FILED) or not (PENDING); 2 steps: filed,
  // then the manager changed without a new filing (PENDING).
  std::vector<ChainStep> chain_steps;
  std::vector<bv1::Facility> facilities;  // kind, status, note
  std::vector<bv1::FireLane> fire_lanes;
  std::vector<bv1::RescueSite> rescue_sites;
};

struct DemoDataset {
  // In creation order: the district, its streets and towns, communities and villages, then
  // departments and enterprises.
  std::vector<bv1::OrgUnit> org_units;
  std::vector<PlannedBuilding> buildings;
  std::vector<bv1::Hydrant> hydrants;       // without ids
  std::vector<bv1::MicroStation> stations;  // without ids
};

inline constexpr char kBeibeiCode[] = "500109";
inline constexpr uint64_t kDefaultSeed = 20200438;  // 北碚府办发〔2020〕38号

// A sample of Beibei district (北碚区, Chongqing): its streets and towns with real names and
// plausible division codes, 3–6 communities or villages each, the industry departments of the
// plan as DEPARTMENT units and the utilities as ENTERPRISE units, `building_count` high-rise and
// other buildings of mixed use and height (10–160 m, so every class occurs), responsibility
// chains (about 70% filed), facility statuses, fire lanes and rescue sites (some
// non-compliant), municipal hydrants and micro fire stations near them, all around 29.82N
// 106.43E, and the parties of every building (credit subjects: owner, management unit — the
// chain's —, property company unless three-nos, for many a maintenance agency out of five, for
// some occupants, a few of them persons) with valid credit codes and identity numbers. The same
// seed always yields the same dataset.
DemoDataset GenerateBeibei(uint64_t seed = kDefaultSeed, int building_count = 300);

}  // namespace firegrid::loaders
