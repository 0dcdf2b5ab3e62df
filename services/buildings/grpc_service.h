#pragma once

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/buildings/registry.h"

namespace firegrid::buildings {

// The gRPC adapter: authenticates every call, hands the request to the Registry, and maps its
// status through the one Status → gRPC mapping (internal detail never reaches clients).
class BuildingGrpcService final : public v1::BuildingService::Service {
 public:
  BuildingGrpcService(Registry* registry, const auth::Authenticator* authenticator)
      : registry_(registry), authenticator_(authenticator) {}

#define FG_BUILDINGS_RPC(Method, Request, Response)                                         \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
  FG_BUILDINGS_RPC(UpsertOrgUnit, UpsertOrgUnitRequest, OrgUnit)
  FG_BUILDINGS_RPC(GetOrgUnit, GetOrgUnitRequest, OrgUnit)
  FG_BUILDINGS_RPC(ListOrgUnits, ListOrgUnitsRequest, ListOrgUnitsResponse)
  FG_BUILDINGS_RPC(CreateBuilding, CreateBuildingRequest, Building)
  FG_BUILDINGS_RPC(GetBuilding, GetBuildingRequest, Building)
  FG_BUILDINGS_RPC(UpdateBuilding, UpdateBuildingRequest, Building)
  FG_BUILDINGS_RPC(ListBuildings, ListBuildingsRequest, ListBuildingsResponse)
  FG_BUILDINGS_RPC(FileResponsibility, FileResponsibilityRequest, Building)
  FG_BUILDINGS_RPC(GetResponsibilityHistory, GetResponsibilityHistoryRequest,
                   GetResponsibilityHistoryResponse)
  FG_BUILDINGS_RPC(SetFacilityStatus, SetFacilityStatusRequest, Building)
  FG_BUILDINGS_RPC(SetFireAccess, SetFireAccessRequest, SetFireAccessResponse)
  FG_BUILDINGS_RPC(AssessFireAccess, AssessFireAccessRequest, FireAccessAssessment)
  FG_BUILDINGS_RPC(RegisterHydrant, RegisterHydrantRequest, Hydrant)
  FG_BUILDINGS_RPC(RegisterMicroStation, RegisterMicroStationRequest, MicroStation)
  FG_BUILDINGS_RPC(FindNearby, FindNearbyRequest, FindNearbyResponse)
  FG_BUILDINGS_RPC(GetLedger, GetLedgerRequest, Ledger)
  FG_BUILDINGS_RPC(ExportLedgerCsv, ExportLedgerCsvRequest, CsvDocument)
  FG_BUILDINGS_RPC(ImportBuildingsCsv, ImportBuildingsCsvRequest, ImportBuildingsCsvResponse)
#undef FG_BUILDINGS_RPC

 private:
  Registry* registry_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::buildings
