#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "tools/loaders/beibei.h"

namespace firegrid::loaders {

// What one run did. A second run over the same dataset finds everything in place: it
// upserts the org units again (idempotent) and reports zero new buildings, steps, hydrants and
// stations.
struct LoadSummary {
  int org_units = 0;
  int buildings = 0;
  int buildings_new = 0;  // buildings none of whose follow-up steps had been done
  int chain_steps = 0;    // FileResponsibility calls
  int filings = 0;        // of them, with a filing document
  int facility_updates = 0;
  int fire_access_sets = 0;
  int party_sets = 0;  // UpdateBuilding "parties" on buildings registered without them
  int hydrants = 0;
  int hydrants_new = 0;
  int stations = 0;
  int stations_new = 0;

  // "123 org units, 300 buildings (300 new), 245 responsibility steps (210 filed), ...".
  std::string ToString() const;
};

// Loads a DemoDataset through the public BuildingService API, idempotently:
// - org units: UpsertOrgUnit (idempotent by nature);
// - buildings: CreateBuilding (with the planned parties) with the planned request_id returns
//   the existing building on a re-run; one registered without parties (by an older loader) gets
//   them by UpdateBuilding; each follow-up step runs only when the building's state shows it has
//   not been done (no chain yet / the planned change not applied; a facility kind not recorded; no
//   lanes or sites), with the version the building has;
// - hydrants and micro stations: registered unless FindNearby finds one at the same spot
//   (within 0.5 m; stations also by name).
class DemoLoader {
 public:
  using Prepare = std::function<void(grpc::ClientContext*)>;

  // `prepare` sets the deadline and credentials of each call; `now` dates filings.
  DemoLoader(
      firegrid::buildings::v1::BuildingService::StubInterface* stub, Prepare prepare,
      std::function<absl::Time()> now = [] { return absl::Now(); });

  // Stops at the first failed call, naming what it was doing.
  absl::StatusOr<LoadSummary> Load(const DemoDataset& dataset);

  // The ids of the buildings loaded so far, by their planned request ids.
  const std::map<std::string, std::string>& building_ids() const { return building_ids_; }

 private:
  absl::Status LoadBuilding(const PlannedBuilding& planned, LoadSummary* summary);
  absl::StatusOr<bool> ExistsNearby(const bv1::GeoPoint& at, bv1::NearbyKind kind,
                                    const std::string& station_name);

  firegrid::buildings::v1::BuildingService::StubInterface* stub_;
  Prepare prepare_;
  std::function<absl::Time()> now_;
  std::map<std::string, std::string> building_ids_;
};

}  // namespace firegrid::loaders
