#include "services/buildings/grpc_service.h"

#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"

namespace firegrid::buildings {

#define FG_BUILDINGS_RPC(Method, Request, Response)                                          \
  grpc::Status BuildingGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                           v1::Response* resp) {                             \
    auto principal = authenticator_->Authenticate(*ctx);                                     \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                            \
    auto result = registry_->Method(*principal, *req);                                       \
    if (!result.ok()) return ToGrpcStatus(result.status());                                  \
    *resp = std::move(*result);                                                              \
    return grpc::Status::OK;                                                                 \
  }

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

}  // namespace firegrid::buildings
