#include "services/hazards/grpc_service.h"

#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "services/hazards/lifecycle.h"

namespace firegrid::hazards {

#define FG_HAZARDS_RPC(Method, Impl, Request, Response)                                       \
  grpc::Status HazardGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req,    \
                                         v1::Response* resp) {                                \
    auto principal = authenticator_->Authenticate(*ctx);                                      \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                             \
    if (absl::Status may = MayCall(*principal, #Method); !may.ok()) return ToGrpcStatus(may); \
    auto result = registry_->Impl(*principal, *req);                                          \
    if (!result.ok()) return ToGrpcStatus(result.status());                                   \
    *resp = std::move(*result);                                                               \
    return grpc::Status::OK;                                                                  \
  }
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC

grpc::Status HazardGrpcService::CheckReadModels(grpc::ServerContext* ctx,
                                                const readmodels::v1::CheckReadModelsRequest* req,
                                                readmodels::v1::CheckReadModelsResponse* resp) {
  auto principal = authenticator_->Authenticate(*ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (absl::Status may = MayCall(*principal, "CheckReadModels"); !may.ok()) {
    return ToGrpcStatus(may);
  }
  auto result = registry_->CheckReadModels(*principal, *req);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace firegrid::hazards
