#pragma once

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/buildings/registry.h"

namespace firegrid::buildings {

// The gRPC adapter: authenticates every call, hands the request to the Registry, and maps its
// status through the one Status → gRPC mapping (internal detail never reaches clients).
//
// GetBuilding, the hottest read, is a callback method served on the process's read threads
// (libs/server/callback_unary.h; FG_BUILDINGS_CALLBACK_RPC in rpcs.inc).
class BuildingGrpcService final
    : public v1::BuildingService::WithCallbackMethod_GetBuilding<v1::BuildingService::Service> {
 public:
  BuildingGrpcService(Registry* registry, const auth::Authenticator* authenticator)
      : registry_(registry), authenticator_(authenticator) {}

#define FG_BUILDINGS_RPC(Method, Request, Response)                                         \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#define FG_BUILDINGS_CALLBACK_RPC(Method, Request, Response)                                 \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
#include "services/buildings/rpcs.inc"
#undef FG_BUILDINGS_RPC
#undef FG_BUILDINGS_CALLBACK_RPC
  grpc::Status ImportBuildingsCsvStream(grpc::ServerContext* ctx,
                                        grpc::ServerReader<v1::ImportBuildingsCsvChunk>* reader,
                                        v1::ImportBuildingsCsvResponse* resp) override;
  // The shared message shape of protos/firegrid/readmodels, so not in rpcs.inc.
  grpc::Status CheckReadModels(grpc::ServerContext* ctx,
                               const readmodels::v1::CheckReadModelsRequest* req,
                               readmodels::v1::CheckReadModelsResponse* resp) override;

 private:
  Registry* registry_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::buildings
