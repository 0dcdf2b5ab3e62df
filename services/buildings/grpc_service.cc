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

#include "services/buildings/rpcs.inc"

#undef FG_BUILDINGS_RPC

}  // namespace firegrid::buildings
